package fusefs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ucvm/ucvm/internal/testutil"
	"github.com/ucvm/ucvm/internal/tree"
)

// squidProxy runs Debian's squid (memory cache only) on a loopback port.
func squidProxy(t *testing.T) string {
	url, _ := testutil.StartSquid(t, 64, 16)
	return url
}

// TestMountThroughSquid: the fixture's trunk through a real squid equals
// the original client's view; a second client with an empty cache is served
// from squid's cache.
func TestMountThroughSquid(t *testing.T) {
	dir, key := fixture(t)
	srv := newRepoServer(t, fixtureFQRN, dir)
	squid := squidProxy(t)
	want, _ := os.ReadFile(filepath.Join(dir, "mounted.trunk.txt"))
	var requests [2]int64
	for i := range 2 {
		before := srv.requests.Load()
		e := newEnvProxies(t, fixtureFQRN, key, t.TempDir(), 0, [][]string{{squid}}, srv.repoURL(fixtureFQRN))
		e.tag = "trunk"
		mnt, _ := e.mount(t)
		if d := tree.Diff(string(want), listing(t, mnt), 10); d != "" {
			t.Fatalf("client %d through squid:\n%s", i, d)
		}
		xattr(t, mnt, "user.proxy", squid)
		requests[i] = srv.requests.Load() - before
	}
	if requests[1] >= requests[0] {
		t.Fatalf("second client reached the server %d times, first %d: squid cached nothing", requests[1], requests[0])
	}
}
