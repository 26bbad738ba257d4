package reader

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// DirCache is a minimal ObjectCache in a directory, without quota: for
// one-shot commands (tree, cat, ls). The FUSE client uses internal/cache.
type DirCache struct{ Dir string }

// NewDirCache creates dir and returns a cache in it.
func NewDirCache(dir string) (*DirCache, error) {
	if err := os.MkdirAll(filepath.Join(dir, "txn"), 0o700); err != nil {
		return nil, err
	}
	return &DirCache{Dir: dir}, nil
}

func (d *DirCache) path(h hash.Hash) string { return filepath.Join(d.Dir, h.CachePath()) }

// Open implements ObjectCache.
func (d *DirCache) Open(h hash.Hash) (*os.File, error) {
	f, err := os.Open(d.path(h))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("%w: %s", ErrNotCached, h)
	}
	return f, err
}

// Create implements ObjectCache.
func (d *DirCache) Create(h hash.Hash, _ ObjectInfo) (CacheTxn, error) {
	f, err := os.CreateTemp(filepath.Join(d.Dir, "txn"), "fetch")
	if err != nil {
		return nil, err
	}
	return &dirTxn{f: f, dst: d.path(h)}, nil
}

type dirTxn struct {
	f       *os.File
	dst     string
	written bool
}

func (t *dirTxn) Write(p []byte) (int, error) {
	t.written = true
	return t.f.Write(p)
}

func (t *dirTxn) Reset() error {
	if !t.written {
		return nil
	}
	t.written = false
	if _, err := t.f.Seek(0, 0); err != nil {
		return err
	}
	return t.f.Truncate(0)
}

func (t *dirTxn) Commit() error {
	if err := t.f.Close(); err != nil {
		os.Remove(t.f.Name())
		return err
	}
	if err := os.MkdirAll(filepath.Dir(t.dst), 0o700); err != nil {
		return err
	}
	return os.Rename(t.f.Name(), t.dst)
}

func (t *dirTxn) Abort() {
	t.f.Close()
	os.Remove(t.f.Name())
}
