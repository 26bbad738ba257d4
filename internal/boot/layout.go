package boot

import (
	"errors"
	"fmt"
	"golang.org/x/sys/unix"
	"io"
	"os"
	"path/filepath"
)

// Scratch-disk layout (spec §3.1), relative to /mnt/.rw.
const (
	DirPersistent = "persistent"
	DirCache      = "cache"
	DirCvmfs      = "cvmfs"
	DirAux        = "aux"
	DirContext    = "context"
	DirUlogs      = "ulogs"
	SafetyDir     = "aux/safety"
	SpacerSize    = 50 << 20
	InodeSpacers  = 127
	SnapshotFile  = "aux/cvmfs_snapshot"
	ForceTagFile  = "aux/cvmfs_force_tag"
	ResizeMarker  = "aux/resize"
	VersionFile   = "aux/ucernvm-version"
)

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// CreateLayout creates the scratch-disk directories, the safety spacers
// (50 MiB of zeros and 127 empty files a user can delete to recover a full
// disk), aux/busybox (a copy of what busybox returns, if it returns a
// path; asked only when aux/busybox is missing) and the empty uid/gid
// maps. It is idempotent and leaves existing content alone.
func CreateLayout(rw string, busybox func() string) error {
	for _, d := range []string{DirPersistent, DirCache, DirCvmfs, DirAux, DirContext, DirUlogs, "aux/keys", SafetyDir} {
		if err := os.MkdirAll(filepath.Join(rw, d), 0o755); err != nil {
			return fmt.Errorf("scratch layout: %w", err)
		}
	}
	for _, m := range []string{"aux/uid_map", "aux/gid_map"} {
		if err := touch(filepath.Join(rw, m)); err != nil {
			return err
		}
	}
	if busybox != nil && !exists(filepath.Join(rw, "aux/busybox")) {
		if bb := busybox(); bb != "" {
			if err := copyFile(bb, filepath.Join(rw, "aux/busybox"), 0o755); err != nil {
				return err
			}
		}
	}
	return createSpacers(filepath.Join(rw, SafetyDir))
}

func createSpacers(dir string) error {
	big := filepath.Join(dir, "50m")
	if st, err := os.Stat(big); err != nil || st.Size() != SpacerSize {
		if err := writeZeros(big, SpacerSize); err != nil {
			return err
		}
	}
	have := map[string]bool{}
	if ents, err := os.ReadDir(dir); err == nil { // one getdents instead of 127 opens per boot
		for _, e := range ents {
			have[e.Name()] = true
		}
	}
	for i := 1; i <= InodeSpacers; i++ {
		name := fmt.Sprintf("inode_spacer%d", i)
		if have[name] {
			continue
		}
		if err := touch(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// writeZeros reserves n bytes of real disk blocks (not a sparse hole: the
// point of the spacer is to hold blocks in reserve): with fallocate(2),
// which allocates without writing (50 MiB of zeros took a second of a
// first boot under emulation), or by writing zeros where the file system
// cannot.
func writeZeros(path string, n int64) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("safety spacer: %w", err)
	}
	if err := reserve(f, n); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("safety spacer: %w", err)
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func reserve(f *os.File, n int64) error {
	if err := unix.Fallocate(int(f.Fd()), 0, 0, n); err == nil {
		return nil
	}
	buf := make([]byte, 1<<20)
	for w := int64(0); w < n; w += int64(len(buf)) {
		if _, err := f.Write(buf[:min(int64(len(buf)), n-w)]); err != nil {
			return err
		}
	}
	return nil
}

func touch(p string) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("create %s: %w", p, err)
	}
	return f.Close()
}

func copyFile(src, dst string, perm os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, dst)
}

// Snapshot is the pin in aux/cvmfs_snapshot: root hash and tag.
type Snapshot struct {
	RootHash, Tag string
}

// ReadSnapshot reads aux/cvmfs_snapshot (line 1 root hash, last line tag).
// A missing file is (nil, nil).
func ReadSnapshot(rw string) (*Snapshot, error) {
	b, err := os.ReadFile(filepath.Join(rw, SnapshotFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lines := splitLines(string(b))
	if len(lines) == 0 || lines[0] == "" {
		return nil, fmt.Errorf("%s is empty; delete it to re-pin the newest snapshot", SnapshotFile)
	}
	s := &Snapshot{RootHash: lines[0]}
	if len(lines) > 1 {
		s.Tag = lines[len(lines)-1]
	}
	return s, nil
}

// WriteSnapshot pins root hash and tag (atomically).
func WriteSnapshot(rw string, s Snapshot) error {
	return writeAtomic(filepath.Join(rw, SnapshotFile), []byte(s.RootHash+"\n"+s.Tag+"\n"), 0o644)
}

// ReadForceTag returns the content of aux/cvmfs_force_tag ("" if absent).
func ReadForceTag(rw string) string {
	b, err := os.ReadFile(filepath.Join(rw, ForceTagFile))
	if err != nil {
		return ""
	}
	l := splitLines(string(b))
	if len(l) == 0 {
		return ""
	}
	return l[0]
}
