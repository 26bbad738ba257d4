package boot

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/ext4"
)

// ScratchLabel is the ext4 label that marks the scratch file system.
const ScratchLabel = "UROOT"

// ErrNoFsck is returned by Fsck when no e2fsck is available.
var ErrNoFsck = errors.New("e2fsck not in the initrd")

// Tools locates the external e2fsprogs programs when the initrd carries
// them (Debian's mke2fs with its library closure is the fast path).
type Tools struct {
	Mke2fs, E2fsck, Resize2fs string
}

// FindTools looks for e2fsprogs in the usual directories.
func FindTools() Tools {
	find := func(name string) string {
		for _, d := range []string{"/sbin", "/usr/sbin", "/bin", "/usr/bin"} {
			if st, err := os.Stat(d + "/" + name); err == nil && st.Mode().IsRegular() {
				return d + "/" + name
			}
		}
		return ""
	}
	return Tools{Mke2fs: find("mke2fs"), E2fsck: find("e2fsck"), Resize2fs: find("resize2fs")}
}

// FormatExt4 creates an ext4 file system with a journal and label on dev
// (a partition device or an image file) of size bytes. It uses mke2fs when
// present (lazy inode table init: fast on big disks), else go-diskfs.
func (t Tools) FormatExt4(dev string, size int64, label string) (string, error) {
	if t.Mke2fs != "" {
		out, err := exec.Command(t.Mke2fs, "-q", "-F", "-t", "ext4", "-j", "-L", label,
			"-E", "lazy_itable_init=1,lazy_journal_init=1", dev).CombinedOutput()
		if err != nil {
			return "mke2fs", fmt.Errorf("mke2fs %s: %w: %s", dev, err, strings.TrimSpace(string(out)))
		}
		return "mke2fs", nil
	}
	return "go-diskfs", formatGo(dev, size, label)
}

// formatGo formats with go-diskfs: 4 KiB blocks on big file systems
// (1 KiB blocks fail there when the journal is set up), 1 KiB on small ones
// (4 KiB leaves no backup groups for the resize inode); if the first choice
// fails, the other is tried.
func formatGo(dev string, size int64, label string) error {
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("format %s: %w", dev, err)
	}
	defer f.Close()
	order := []uint8{8, 2}
	if size < 256<<20 {
		order = []uint8{2, 8}
	}
	var errs []error
	for _, spb := range order {
		_, err = ext4.Create(file.New(f, false), size, 0, sector, &ext4.Params{VolumeName: label, SectorsPerBlock: spb})
		if err == nil {
			return f.Sync()
		}
		errs = append(errs, fmt.Errorf("%d-byte blocks: %w", int(spb)*sector, err))
	}
	return fmt.Errorf("format %s: go-diskfs ext4: %w", dev, errors.Join(errs...))
}

// Fsck runs `e2fsck -p` (preen) on dev. Exit codes 1 and 2 (errors
// corrected) are success; the output is returned for the log.
func (t Tools) Fsck(dev string) (string, error) {
	if t.E2fsck == "" {
		return "", ErrNoFsck
	}
	var out bytes.Buffer
	cmd := exec.Command(t.E2fsck, "-p", dev)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() <= 2 {
		err = nil
	}
	if err != nil {
		return out.String(), fmt.Errorf("e2fsck %s: %w", dev, err)
	}
	return out.String(), nil
}

// GrowFS runs resize2fs on dev (after the partition was enlarged).
func (t Tools) GrowFS(dev string) (string, error) {
	if t.Resize2fs == "" {
		return "", errors.New("resize2fs not in the initrd")
	}
	if t.E2fsck != "" {
		if out, err := exec.Command(t.E2fsck, "-f", "-p", dev).CombinedOutput(); err != nil {
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() > 2 {
				return string(out), fmt.Errorf("e2fsck -f %s: %w", dev, err)
			}
		}
	}
	out, err := exec.Command(t.Resize2fs, dev).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("resize2fs %s: %w", dev, err)
	}
	return string(out), nil
}
