package cache

import (
	"os/exec"
	"syscall"
	"testing"

	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/testutil"
)

// TestENOSPCEvictsAndRetries: on a 2 MiB tmpfs with an unmanaged quota, a
// 5 MiB stream of objects fits because a full disk evicts LRU entries and
// the write is retried.
func TestENOSPCEvictsAndRetries(t *testing.T) {
	testutil.RequireRoot(t)
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount tmpfs: %v %s", err, out)
	}
	defer syscall.Unmount(dir, syscall.MNT_DETACH)
	c, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pinData, pinHash := obj(999, 256<<10)
	put(t, c, pinData, pinHash, reader.KindCatalog) // in use: never evicted
	for i := range 20 {
		d, h := obj(i, 256<<10)
		put(t, c, d, h, reader.KindRegular)
		if got := readAll(t, c, h); string(got) != string(d) {
			t.Fatalf("object %d corrupted", i)
		}
	}
	if c.Usage().Stats.Evictions == 0 {
		t.Fatal("5 MiB into 2 MiB without evictions")
	}
	if !c.Contains(pinHash) {
		t.Fatal("catalog in use evicted on ENOSPC")
	}
}
