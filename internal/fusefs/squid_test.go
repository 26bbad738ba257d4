package fusefs_test

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
	"github.com/ucvm/ucvm/internal/tree"
)

// squidProxy runs Debian's squid (memory cache only) on a loopback port.
func squidProxy(t *testing.T) string {
	bin := testutil.RequireCommand(t, "squid")
	dir, err := os.MkdirTemp("", "ucvm-fusefs-squid-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777) // squid switches to its own user
	addr := strings.TrimSuffix(strings.TrimPrefix(deadURL(t), "http://"), "/cvmfs/x")
	conf := fmt.Sprintf("http_port %s\nacl lo src 127.0.0.0/8\nhttp_access allow lo\nhttp_access deny all\n"+
		"cache_mem 64 MB\nmaximum_object_size_in_memory 16 MB\npid_filename %[2]s/pid\naccess_log stdio:%[2]s/access.log\n"+
		"cache_log %[2]s/cache.log\ncache_store_log none\ncoredump_dir %[2]s\npinger_enable off\n"+
		"shutdown_lifetime 0 seconds\ndns_nameservers 127.0.0.1\n", addr, dir)
	if err := os.WriteFile(filepath.Join(dir, "squid.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-N", "-f", filepath.Join(dir, "squid.conf"))
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
		}
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			return "http://" + addr
		}
	}
	log, _ := os.ReadFile(filepath.Join(dir, "cache.log"))
	t.Fatalf("squid did not listen within 30 s:\n%s", log)
	return ""
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
