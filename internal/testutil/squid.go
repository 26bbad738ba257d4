package testutil

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// FreeLoopbackAddr returns a 127.0.0.1 address whose port was free a moment ago.
func FreeLoopbackAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// StartSquid runs Debian's squid in the foreground on a loopback port with a
// memory-only cache (memMB, objects up to maxObjectMB) and a generated
// configuration in a temp dir; it is stopped at cleanup. It returns the
// proxy URL and the directory holding access.log and cache.log.
func StartSquid(t testing.TB, memMB, maxObjectMB int) (url, dir string) {
	t.Helper()
	bin := RequireCommand(t, "squid")
	dir, err := os.MkdirTemp("", "ucvm-squid-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777) // squid drops privileges to its cache_effective_user
	addr := FreeLoopbackAddr(t)
	conf := fmt.Sprintf(`http_port %s
acl lo src 127.0.0.0/8
http_access allow lo
http_access deny all
cache_mem %d MB
maximum_object_size_in_memory %d MB
pid_filename %[4]s/squid.pid
access_log stdio:%[4]s/access.log
cache_log %[4]s/cache.log
cache_store_log none
coredump_dir %[4]s
pinger_enable off
shutdown_lifetime 0 seconds
dns_nameservers 127.0.0.1
`, addr, memMB, maxObjectMB, dir)
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
	deadline := time.Now().Add(30 * time.Second)
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
			t.Fatal("squid did not listen within 30 s")
		}
	}
}
