package boot

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/ucvm/ucvm/internal/mkext4"
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
// present, else the pure-Go internal/mkext4 (same features, only metadata
// written: milliseconds on any size).
func (t Tools) FormatExt4(dev string, size int64, label string) (string, error) {
	if t.Mke2fs != "" {
		out, err := exec.Command(t.Mke2fs, "-q", "-F", "-t", "ext4", "-j", "-L", label,
			"-E", "lazy_itable_init=1,lazy_journal_init=1", dev).CombinedOutput()
		if err != nil {
			return "mke2fs", fmt.Errorf("mke2fs %s: %w: %s", dev, err, strings.TrimSpace(string(out)))
		}
		return "mke2fs", nil
	}
	return "mkext4", formatGo(dev, size, label)
}

// formatGo formats with internal/mkext4.
func formatGo(dev string, size int64, label string) error {
	f, err := os.OpenFile(dev, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("format %s: %w", dev, err)
	}
	defer f.Close()
	if err := mkext4.Format(f, size, mkext4.Options{Label: label}); err != nil {
		return fmt.Errorf("format %s: %w", dev, err)
	}
	return nil
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

// GrowOnline grows the ext4 file system of dev mounted at mountpoint to
// the size of dev with the kernel's online resize (no resize2fs needed).
// It returns a line for the log.
func GrowOnline(mountpoint, dev string) (string, error) {
	old, nb, err := mkext4.GrowToDevice(mountpoint, dev)
	if err != nil {
		return "", err
	}
	if old == nb {
		return fmt.Sprintf("%s: already %d blocks", dev, nb), nil
	}
	return fmt.Sprintf("%s: grown online from %d to %d blocks", dev, old, nb), nil
}

// CheckErrorState reads the superblock of the mounted dev (the kernel
// keeps it current) and describes the errors the kernel recorded, for
// initrds without e2fsck. bad is true when the file system has errors.
func CheckErrorState(dev string) (msg string, bad bool, err error) {
	sb, err := mkext4.ReadSuperblockFile(dev)
	if err != nil {
		return "", false, err
	}
	if !sb.HasErrors() {
		return fmt.Sprintf("%s: no errors recorded (state %#x)", sb.Label, sb.State), false, nil
	}
	msg = fmt.Sprintf("%s: file system has recorded errors (state %#x, %d errors", sb.Label, sb.State, sb.ErrorCount)
	if !sb.LastError.IsZero() {
		msg += fmt.Sprintf(", last %s in %s", sb.LastError.UTC().Format("2006-01-02 15:04:05"), sb.LastErrorFunc)
	}
	return msg + ")", true, nil
}
