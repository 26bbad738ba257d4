package repo

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// ErrNoRepository reports a storage directory without a repository.
var ErrNoRepository = errors.New("no repository in storage directory")

// Storage is a repository storage directory.
type Storage struct{ Dir string }

// Open checks that dir holds a repository.
func Open(dir string) (*Storage, error) {
	if _, err := os.Stat(filepath.Join(dir, ".cvmfspublished")); err != nil {
		return nil, fmt.Errorf("%w: %s has no .cvmfspublished (create it with `ucvm repo create`)", ErrNoRepository, dir)
	}
	return &Storage{Dir: dir}, nil
}

// skeleton creates data/00..ff and data/txn.
func (s *Storage) skeleton() error {
	for i := 0; i < 256; i++ {
		if err := os.MkdirAll(filepath.Join(s.Dir, "data", fmt.Sprintf("%02x", i)), 0o755); err != nil {
			return err
		}
	}
	return os.MkdirAll(filepath.Join(s.Dir, "data", "txn"), 0o755)
}

// HasObject reports whether the object exists.
func (s *Storage) HasObject(h hash.Hash, suffix byte) bool {
	_, err := os.Stat(filepath.Join(s.Dir, h.ObjectPath(suffix)))
	return err == nil
}

// PutObject stores the object bytes under their name unless present;
// written to data/txn and renamed, so a reader never sees a partial object.
func (s *Storage) PutObject(h hash.Hash, suffix byte, data []byte) (written bool, err error) {
	dst := filepath.Join(s.Dir, h.ObjectPath(suffix))
	if _, err := os.Stat(dst); err == nil {
		return false, nil
	}
	return true, s.writeAtomic(dst, data, 0o644, false)
}

// WriteFile atomically replaces a top-level file such as .cvmfspublished,
// synced to disk first.
func (s *Storage) WriteFile(name string, data []byte) error {
	return s.writeAtomic(filepath.Join(s.Dir, name), data, 0o644, true)
}

var (
	tmpSeq    atomic.Uint64
	tmpPrefix = fmt.Sprintf("obj.%d.%x", os.Getpid(), rand.Uint32())
)

// writeAtomic writes data to a unique temporary name in data/txn, created
// with its final mode, and renames it to dst.
func (s *Storage) writeAtomic(dst string, data []byte, mode os.FileMode, sync bool) error {
	tmp := filepath.Join(s.Dir, "data", "txn", fmt.Sprintf("%s.%d", tmpPrefix, tmpSeq.Add(1)))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	_, err = f.Write(data)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", dst, err)
	}
	return nil
}

// ReadFile reads a top-level file.
func (s *Storage) ReadFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(s.Dir, name))
}

// TempDir returns a private scratch directory inside the storage's txn
// area (same file system, so renames are atomic); remove it when done.
func (s *Storage) TempDir() (string, error) {
	return os.MkdirTemp(filepath.Join(s.Dir, "data", "txn"), "work")
}

// Init prepares dir as a storage directory (a replica may start empty).
func Init(dir string) (*Storage, error) {
	s := &Storage{Dir: dir}
	if err := s.skeleton(); err != nil {
		return nil, fmt.Errorf("storage %s: %w", dir, err)
	}
	return s, nil
}
