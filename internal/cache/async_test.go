package cache

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/reader"
)

func readObject(t *testing.T, o reader.Object, size int) []byte {
	t.Helper()
	defer o.Close()
	b := make([]byte, size+1)
	n, err := o.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return b[:n]
}

// Objects handed over by Put are served at once, written in the
// background, counted once, and survive a reopen; nothing stays in txn/.
func TestPutServesFromMemoryAndWritesInBackground(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir, Options{QuotaBytes: 10 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var want [][]byte
	for i := 0; i < 200; i++ {
		data, h := obj(i, 1000+i)
		c.Put(h, reader.ObjectInfo{Kind: reader.KindRegular, Size: int64(len(data)), Description: "f"}, data)
		c.Put(h, reader.ObjectInfo{Kind: reader.KindRegular, Size: int64(len(data))}, data) // twice: counted once
		o, err := c.OpenObject(h)
		if err != nil {
			t.Fatalf("object %d not served after Put: %v", i, err)
		}
		if got := readObject(t, o, len(data)); !bytes.Equal(got, data) {
			t.Fatalf("object %d: wrong bytes", i)
		}
		want = append(want, data)
	}
	// Open waits for the background write and returns the file.
	data0, h0 := obj(0, 1000)
	if got := readAll(t, c, h0); !bytes.Equal(got, data0) {
		t.Fatal("Open of a written object: wrong bytes")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "txn")); len(ents) != 0 {
		t.Fatalf("%d leftovers in txn/", len(ents))
	}
	c, err = Open(dir, Options{QuotaBytes: 10 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var total int64
	for i, data := range want {
		_, h := obj(i, len(data))
		if got := readAll(t, c, h); !bytes.Equal(got, data) {
			t.Fatalf("object %d after reopen: wrong bytes", i)
		}
		total += int64(len(data))
	}
	if u := c.Usage(); u.Entries != len(want) || u.UsedBytes != total {
		t.Fatalf("usage %d entries / %d bytes, want %d / %d", u.Entries, u.UsedBytes, len(want), total)
	}
}

// An object the index does not know is a miss for OpenObject (no disk
// lookup); objects served after Put have the right bytes; the quota holds
// once the writers are done and the index matches the disk.
func TestPutQuotaAndMisses(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir, Options{QuotaBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, unknown := obj(9999, 10)
	if _, err := c.OpenObject(unknown); !errors.Is(err, reader.ErrNotCached) {
		t.Fatalf("unknown object: %v, want ErrNotCached", err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g * 100; i < g*100+100; i++ {
				data, h := obj(i, 4000)
				c.Put(h, reader.ObjectInfo{Kind: reader.KindRegular, Size: 4000}, data)
				o, err := c.OpenObject(h)
				if errors.Is(err, reader.ErrNotCached) {
					continue // written and evicted again meanwhile
				}
				if err != nil {
					t.Errorf("object %d: %v", i, err)
					return
				}
				if got := readObject(t, o, 4000); !bytes.Equal(got, data) {
					t.Errorf("object %d: wrong bytes", i)
				}
			}
		}()
	}
	wg.Wait()
	c.drainWriters()
	u := c.Usage()
	if u.UsedBytes > 64<<10 || u.Stats.Evictions == 0 {
		t.Fatalf("after 1.6 MB into a 64 KiB quota: used %d, evictions %d", u.UsedBytes, u.Stats.Evictions)
	}
	var onDisk int64
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() && len(filepath.Base(filepath.Dir(p))) == 2 {
			onDisk += fi.Size()
		}
		return nil
	})
	if onDisk != u.UsedBytes {
		t.Fatalf("index counts %d bytes, disk holds %d", u.UsedBytes, onDisk)
	}
}

// Two transactions of one object both commit (the second link finds the
// first one's file); the object is counted once.
func TestConcurrentCommitSameObject(t *testing.T) {
	c, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data, h := obj(1, 5000)
	var txs []reader.CacheTxn
	for range 2 {
		tx, err := c.Create(h, reader.ObjectInfo{Size: int64(len(data))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Write(data); err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	for _, tx := range txs {
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if got := readAll(t, c, h); !bytes.Equal(got, data) {
		t.Fatal("wrong bytes")
	}
	if u := c.Usage(); u.Entries != 1 || u.UsedBytes != 5000 {
		t.Fatalf("usage %d entries / %d bytes, want 1 / 5000", u.Entries, u.UsedBytes)
	}
}

// TestWriteBehind: with Options.WriteBehind an object put while the cache
// is in use stays in memory (and is served from there) until the cache has
// been quiet for a second; Close writes what is still held.
func TestWriteBehind(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(dir, Options{QuotaBytes: 100 << 20, WriteBehind: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if c.MemObjectLimit() != MemWriteBehindMax {
		t.Fatalf("memory limit %d, want %d", c.MemObjectLimit(), MemWriteBehindMax)
	}
	data, h := obj(1, 1<<20) // above reader.MemObjectMax, below MemWriteBehindMax
	c.Put(h, reader.ObjectInfo{Kind: reader.KindRegular, Size: int64(len(data))}, data)
	onDisk := func() bool { _, err := os.Stat(c.path(h.String())); return err == nil }
	for i := 0; i < 8; i++ { // busy for 1.6 s: more than the quiet period
		o, err := c.OpenObject(h)
		if err != nil {
			t.Fatal(err)
		}
		if got := readObject(t, o, len(data)); !bytes.Equal(got, data) {
			t.Fatal("wrong bytes from memory")
		}
		time.Sleep(200 * time.Millisecond)
	}
	if onDisk() {
		t.Fatal("object written while the cache was busy")
	}
	for deadline := time.Now().Add(5 * time.Second); !onDisk(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("object not written 5 s after the cache went quiet")
		}
	}
	data2, h2 := obj(2, 1000)
	c.Put(h2, reader.ObjectInfo{Kind: reader.KindRegular, Size: int64(len(data2))}, data2)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, h2.String()[:2], h2.String()[2:])); err != nil {
		t.Fatalf("Close did not write the held object: %v", err)
	}
	plain, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if plain.MemObjectLimit() != reader.MemObjectMax {
		t.Fatalf("without write-behind: limit %d", plain.MemObjectLimit())
	}
}
