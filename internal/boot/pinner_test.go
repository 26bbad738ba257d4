package boot

import (
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestPinPaths(t *testing.T) {
	got := pinPaths("# core\n/bin/bash\n\n  usr/lib/x.so  \n", "cvm4")
	want := []string{"/cvm4/bin/bash", "/cvm4/usr/lib/x.so"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q", got)
	}
}

// TestPinAllParallel: pins overlap (up to the worker count), every path is
// pinned once when it works, failures are retried and reported in order.
func TestPinAllParallel(t *testing.T) {
	var paths []string
	for i := 0; i < 40; i++ {
		paths = append(paths, string(rune('a'+i%26))+string(rune('0'+i/26)))
	}
	var mu sync.Mutex
	calls := map[string]int{}
	var cur, peak atomic.Int32
	const workers = 4
	errs := pinAll(paths, workers, func(p string) error {
		n := cur.Add(1)
		defer cur.Add(-1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		calls[p]++
		mu.Unlock()
		if p == "c0" || p == "z0" {
			return errors.New("no such file")
		}
		return nil
	})
	if len(errs) != 2 || errs[0] != "c0: no such file" || errs[1] != "z0: no such file" {
		t.Fatalf("errors %q", errs)
	}
	if calls["a0"] != 1 || calls["c0"] != 3 {
		t.Fatalf("calls a0=%d c0=%d", calls["a0"], calls["c0"])
	}
	if p := peak.Load(); p < 2 || p > workers {
		t.Fatalf("peak concurrency %d, want 2..%d", p, workers)
	}
	if errs := pinAll([]string{"a", "b"}, pinWorkers, func(string) error { return nil }); len(errs) != 0 {
		t.Fatalf("sequential pinning: %q", errs)
	}
}
