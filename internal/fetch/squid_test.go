package fetch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/testutil"
)

func TestRealSquid(t *testing.T) {
	objs := objects(2, 20000)
	o := startOrigin(t, objs)
	squid, dir := testutil.StartSquid(t, 16, 4)
	c := testConfig(o.url + "/repo")
	c.Timeout = 3 * time.Second
	c.Proxies = [][]string{{deadAddr(t)}, {squid}}
	f := mustNew(t, c)
	ctx := ctxT(t, 20*time.Second)

	// Proxy group down → squid group serves.
	if err := f.Get(ctx, "data/01/obj1", hashVerifier(objs["/repo/data/01/obj1"], nil)); err != nil {
		t.Fatal(err)
	}
	if i := f.Info(); i.Proxy != squid {
		t.Fatalf("want squid as current proxy: %+v", i)
	}
	// A corrupt object gets cached by squid; after the origin is fixed the
	// client sees the stale copy, retries with no-cache, and squid refetches.
	o.setMode("bad")
	if _, err := f.GetBytes(ctx, "data/00/obj0", 1<<20); err != nil {
		t.Fatal(err)
	}
	o.setMode("ok")
	hits := o.hits.Load()
	if err := f.Get(ctx, "data/00/obj0", hashVerifier(objs[obj0], nil)); err != nil {
		t.Fatal(err)
	}
	if o.hits.Load() != hits+1 || f.Info().Host != 0 {
		t.Fatalf("want exactly one refetch at the origin, got %d", o.hits.Load()-hits)
	}
	access, _ := os.ReadFile(filepath.Join(dir, "access.log"))
	if !strings.Contains(string(access), "TCP_MEM_HIT") && !strings.Contains(string(access), "TCP_HIT") {
		t.Fatalf("squid never served from its cache:\n%s", access)
	}
	// Origin gone: squid answers with X-Squid-Error → proxy error, and the
	// request ends with ErrOffline instead of hanging.
	o.srv.Close()
	err := f.Get(ctx, "data/ff/none", hashVerifier(nil, nil))
	if err == nil || !strings.Contains(err.Error(), "no host reachable") {
		t.Fatalf("origin down behind squid: %v", err)
	}
}
