package cache

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/reader"
)

// txn is an object being written to txn/; Commit renames it into place.
type txn struct {
	c    *Cache
	key  string
	info reader.ObjectInfo
	f    *os.File
	n    int64
	done bool
	anon bool // O_TMPFILE: no name until Commit links it into place
}

// Create begins a new object; only Commit makes it visible to Open.
func (c *Cache) Create(h hash.Hash, info reader.ObjectInfo) (reader.CacheTxn, error) {
	key := h.String()
	if len(key) < 3 {
		return nil, errors.New("cache: cannot store an object without hash")
	}
	if f := openAnon(filepath.Join(c.dir, "txn")); f != nil {
		return &txn{c: c, key: key, info: info, f: f, anon: true}, nil
	}
	f, err := os.CreateTemp(filepath.Join(c.dir, "txn"), "fetch")
	if err != nil {
		return nil, fmt.Errorf("cache: create temporary object: %w", err)
	}
	return &txn{c: c, key: key, info: info, f: f}, nil
}

// Write appends p; on ENOSPC it evicts entries and retries.
func (t *txn) Write(p []byte) (int, error) {
	written := 0
	for attempt := 0; ; attempt++ {
		n, err := t.f.Write(p[written:])
		written += n
		t.n += int64(n)
		if err == nil {
			return written, nil
		}
		if !errors.Is(err, syscall.ENOSPC) || attempt >= 8 || !t.c.evictForSpace() {
			if errors.Is(err, syscall.ENOSPC) {
				return written, fmt.Errorf("%w: %v", ErrCacheFull, err)
			}
			return written, fmt.Errorf("cache: write %s: %w", t.key, err)
		}
		t.c.log.Warn("disk full while caching, evicted entries and retrying", "key", t.key)
	}
}

// Reset discards what was written so far (nothing to do before the first
// byte: the reader resets every attempt, and syscalls are the cost here).
func (t *txn) Reset() error {
	if t.n == 0 {
		return nil
	}
	t.n = 0
	if err := t.f.Truncate(0); err != nil {
		return fmt.Errorf("cache: reset %s: %w", t.key, err)
	}
	_, err := t.f.Seek(0, 0)
	return err
}

// Commit makes the object visible; the caller has verified it.
func (t *txn) Commit() error {
	if t.done {
		return errors.New("cache: transaction already finished")
	}
	t.done = true
	if t.info.Size >= 0 && t.n != t.info.Size {
		t.discard()
		return fmt.Errorf("%w: %s has %d bytes, want %d", reader.ErrBadData, t.key, t.n, t.info.Size)
	}
	c := t.c
	c.mu.Lock()
	if _, exists := c.entries[t.key]; !exists {
		c.reserve(t.n)
	}
	c.mu.Unlock()
	// The rename runs without the lock: directory operations are the slow
	// part of an insert and parallel readers must not queue behind them.
	if err := t.place(c.path(t.key)); err != nil {
		return fmt.Errorf("cache: commit %s: %w", t.key, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.add(t.key, t.n, t.info.Kind, t.info.Description)
	if t.info.Kind == reader.KindCatalog {
		e.kind, e.catPinned = reader.KindCatalog, true
	}
	if e.desc == "" {
		e.desc = t.info.Description
	}
	c.stats.Inserts++
	return nil
}

// place gives the written file its final name dst: a link of the
// anonymous file, or a rename of the temporary one; the file is closed.
func (t *txn) place(dst string) error {
	try := func() error {
		if t.anon {
			return linkAnon(t.f, dst)
		}
		return os.Rename(t.f.Name(), dst)
	}
	err := try()
	if errors.Is(err, os.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(dst), 0o700); err == nil {
			err = try()
		}
	}
	if t.anon && errors.Is(err, os.ErrExist) {
		err = nil // a concurrent writer stored the same verified object
	}
	if err != nil {
		t.discard()
		return err
	}
	return t.f.Close()
}

// discard closes and removes the written file.
func (t *txn) discard() {
	t.f.Close()
	if !t.anon {
		os.Remove(t.f.Name())
	}
}

// Abort discards the object.
func (t *txn) Abort() {
	if t.done {
		return
	}
	t.done = true
	t.discard()
}

// cleanTxn removes temporary files of writers that crashed.
func (c *Cache) cleanTxn() error {
	d := filepath.Join(c.dir, "txn")
	ents, err := os.ReadDir(d)
	if err != nil {
		return fmt.Errorf("cache: read %s: %w", d, err)
	}
	for _, e := range ents {
		if err := os.Remove(filepath.Join(d, e.Name())); err != nil {
			c.log.Warn("cannot remove stale cache transaction", "file", e.Name(), "err", err)
		}
	}
	if len(ents) > 0 {
		c.log.Info("removed stale cache transactions", "count", len(ents))
	}
	return nil
}
