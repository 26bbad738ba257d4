package cache

import (
	"crypto/sha1"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/reader"
)

func obj(i, size int) ([]byte, hash.Hash) {
	b := make([]byte, size)
	for j := range b {
		b[j] = byte(i*7 + j)
	}
	copy(b, fmt.Sprintf("object %d", i))
	d := sha1.Sum(b)
	return b, hash.Hash{Alg: hash.SHA1, Digest: d[:]}
}

func put(t *testing.T, c *Cache, data []byte, h hash.Hash, kind reader.ObjectKind) {
	t.Helper()
	tx, err := c.Create(h, reader.ObjectInfo{Kind: kind, Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, c *Cache, h hash.Hash) []byte {
	t.Helper()
	f, err := c.Open(h)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestQuotaEvictsLRUKeepsPinsAndCatalogs(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir, Options{QuotaBytes: 100 << 10})
	if err != nil {
		t.Fatal(err)
	}
	catData, catHash := obj(1000, 8<<10)
	put(t, c, catData, catHash, reader.KindCatalog)
	pinData, pinHash := obj(1001, 8<<10)
	if err := c.Pin("/pinned", []hash.Hash{pinHash}, int64(len(pinData))); err != nil {
		t.Fatal(err)
	}
	put(t, c, pinData, pinHash, reader.KindRegular)
	openData, openHash := obj(1002, 4<<10)
	put(t, c, openData, openHash, reader.KindRegular)
	c.Acquire(openHash)
	// Working set of 1 MiB through a 100 KiB quota.
	for i := range 256 {
		d, h := obj(i, 4<<10)
		put(t, c, d, h, reader.KindRegular)
		if u := c.Usage(); u.UsedBytes > u.Limit {
			t.Fatalf("after %d inserts used %d > limit %d", i, u.UsedBytes, u.Limit)
		}
		if got := readAll(t, c, h); string(got) != string(d) {
			t.Fatalf("object %d corrupted", i)
		}
	}
	for _, h := range []hash.Hash{catHash, pinHash, openHash} {
		if !c.Contains(h) {
			t.Fatalf("pinned/open object %s was evicted", h)
		}
	}
	if c.Usage().Stats.Evictions == 0 {
		t.Fatal("no evictions under a working set 10x the quota")
	}
	c.Release(openHash)
	if c.Cleanup(0); c.Contains(openHash) {
		t.Fatal("released object survived cleanup to 0")
	}
	if !c.Contains(pinHash) || !c.Contains(catHash) {
		t.Fatal("cleanup removed pinned objects")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	// Pins survive a restart; catalogs are no longer in use after it.
	c2, err := Open(dir, Options{QuotaBytes: 100 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if got := c2.Pins(); len(got) != 1 || got[0] != "/pinned" {
		t.Fatalf("pins after reopen: %v", got)
	}
	c2.Cleanup(0)
	if !c2.Contains(pinHash) {
		t.Fatal("user pin lost across reopen")
	}
	if c2.Contains(catHash) {
		t.Fatal("catalog of a previous session stayed pinned")
	}
	if err := c2.Unpin("/pinned"); err != nil {
		t.Fatal(err)
	}
	if c2.Cleanup(0); c2.Contains(pinHash) {
		t.Fatal("unpinned object survived cleanup")
	}
}

func TestCrashLeftoversAndIndexRebuild(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir, Options{QuotaBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	d, h := obj(1, 1000)
	put(t, c, d, h, reader.KindRegular)
	// A writer that crashed mid-download: its temp file is in txn/.
	tx, _ := c.Create(hash.Hash{Alg: hash.SHA1, Digest: make([]byte, 20)}, reader.ObjectInfo{Size: -1})
	tx.Write([]byte("half an object"))
	if c.Contains(hash.Hash{Alg: hash.SHA1, Digest: make([]byte, 20)}) {
		t.Fatal("uncommitted object visible")
	}
	c.lock.Close() // crash: no Close, no clean index
	c2, err := Open(dir, Options{QuotaBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if ents, _ := os.ReadDir(filepath.Join(dir, "txn")); len(ents) != 0 {
		t.Fatalf("txn/ not cleaned: %d files", len(ents))
	}
	if u := c2.Usage(); u.Entries != 1 || u.UsedBytes != 1000 {
		t.Fatalf("rebuilt index: %+v", u)
	}
	if string(readAll(t, c2, h)) != string(d) {
		t.Fatal("object lost")
	}
}

func TestSizeMismatchNeverCommitted(t *testing.T) {
	c, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, h := obj(1, 100)
	tx, _ := c.Create(h, reader.ObjectInfo{Size: 101})
	tx.Write(d)
	if err := tx.Commit(); !errors.Is(err, reader.ErrBadData) {
		t.Fatalf("commit of a short object: %v", err)
	}
	if _, err := c.Open(h); !errors.Is(err, reader.ErrNotCached) {
		t.Fatalf("short object visible: %v", err)
	}
}

func TestConcurrentWritersOfOneObject(t *testing.T) {
	c, err := Open(t.TempDir(), Options{QuotaBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d, h := obj(7, 64<<10)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx, err := c.Create(h, reader.ObjectInfo{Size: int64(len(d))})
			if err != nil {
				errs <- err
				return
			}
			for off := 0; off < len(d); off += 4096 {
				if _, err := tx.Write(d[off : off+4096]); err != nil {
					errs <- err
					return
				}
			}
			errs <- tx.Commit()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if u := c.Usage(); u.Entries != 1 || u.UsedBytes != int64(len(d)) {
		t.Fatalf("double counted: %+v", u)
	}
	if string(readAll(t, c, h)) != string(d) {
		t.Fatal("content differs")
	}
}

func TestSecondProcessLocked(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := Open(dir, Options{LockWait: 100_000_000}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v", err)
	}
}
