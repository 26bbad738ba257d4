package fetch

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/testutil"
)

// startSquid runs Debian's squid in the foreground on a loopback port with
// a generated configuration in a temp dir; it is stopped at cleanup.
func startSquid(t *testing.T) (url, dir string) {
	t.Helper()
	bin := testutil.RequireCommand(t, "squid")
	dir, err := os.MkdirTemp("", "ucvm-squid-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777) // squid drops privileges to its cache_effective_user
	addr := strings.TrimPrefix(deadAddr(t), "http://")
	conf := fmt.Sprintf(`http_port %s
acl lo src 127.0.0.0/8
http_access allow lo
http_access deny all
cache_mem 16 MB
maximum_object_size_in_memory 4 MB
pid_filename %[2]s/squid.pid
access_log stdio:%[2]s/access.log
cache_log %[2]s/cache.log
cache_store_log none
coredump_dir %[2]s
pinger_enable off
shutdown_lifetime 0 seconds
dns_nameservers 127.0.0.1
`, addr, dir)
	cf := filepath.Join(dir, "squid.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-N", "-f", cf)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return "http://" + addr, dir
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "cache.log"))
			t.Fatalf("squid exited: %v\n%s", err, log)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("squid did not listen within 15 s")
		}
	}
}

func TestRealSquid(t *testing.T) {
	objs := objects(2, 20000)
	o := startOrigin(t, objs)
	squid, dir := startSquid(t)
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
