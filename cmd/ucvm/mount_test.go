package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/testutil"
)

// buildUcvm compiles this command for tests that need a real daemon process.
func buildUcvm(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ucvm")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func ucvmRun(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return out.String(), err
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("ucvm %v did not return", args)
	}
	return "", nil
}

func waitGone(t *testing.T, pid int, mnt string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		mounts, _ := os.ReadFile("/proc/mounts")
		if syscall.Kill(pid, 0) != nil && !strings.Contains(string(mounts), " "+mnt+" ") {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("daemon %d or mount %s still there after 10 s", pid, mnt)
}

func readPid(t *testing.T, p string) int {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// TestMountDaemonLifecycle runs the real command: daemonizes after the mount
// is ready (the parent exits, the daemon survives it), @argv0 with
// CVMFS_SYSTEMD_NOKILL, talk pin/revision, fusermount3 -u and SIGTERM end it,
// and with the server gone it mounts offline from the cache.
func TestMountDaemonLifecycle(t *testing.T) {
	testutil.RequireFUSE(t)
	fusermount := testutil.RequireCommand(t, "fusermount3")
	fixture := testutil.FixtureRepo(t)
	bin := buildUcvm(t)
	srv := httptest.NewServer(http.StripPrefix("/cvmfs/test.repo.local/", http.FileServer(http.Dir(fixture))))
	defer srv.Close()

	d := t.TempDir()
	cfg, mnt, pidFile := filepath.Join(d, "etc"), filepath.Join(d, "mnt"), filepath.Join(d, "pid")
	os.MkdirAll(filepath.Join(cfg, "config.d"), 0o755)
	os.MkdirAll(mnt, 0o755)
	conf := "CVMFS_SERVER_URL=" + srv.URL + "/cvmfs/@fqrn@\nCVMFS_HTTP_PROXY=DIRECT\n" +
		"CVMFS_PUBLIC_KEY=" + filepath.Join(fixture, "test.repo.local.pub") + "\n" +
		"CVMFS_CACHE_BASE=" + filepath.Join(d, "cache") + "\nCVMFS_QUOTA_LIMIT=200\nCVMFS_SYSTEMD_NOKILL=yes\nCVMFS_TIMEOUT=2\nCVMFS_TIMEOUT_DIRECT=2\n"
	os.WriteFile(filepath.Join(cfg, "config.d", "test.repo.local.conf"), []byte(conf), 0o644)
	mount := []string{"mount", "test.repo.local", mnt, "--config-dir", cfg, "--pid-file", pidFile, "--log-file", filepath.Join(d, "log")}
	talk := func(args ...string) string {
		out, err := ucvmRun(t, bin, append([]string{"talk", "test.repo.local", "--config-dir", cfg}, args...)...)
		if err != nil {
			t.Fatalf("talk %v: %v\n%s", args, err, out)
		}
		return out
	}

	if out, err := ucvmRun(t, bin, mount...); err != nil {
		log, _ := os.ReadFile(filepath.Join(d, "log"))
		t.Fatalf("mount: %v\n%s\n%s", err, out, log)
	}
	pid := readPid(t, pidFile)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGTERM); syscall.Unmount(mnt, syscall.MNT_DETACH) })
	cmdline, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if !strings.HasPrefix(string(cmdline), "@") {
		t.Fatalf("daemon argv[0] %q lacks @ (CVMFS_SYSTEMD_NOKILL=yes)", cmdline)
	}
	if b, err := os.ReadFile(filepath.Join(mnt, "README.txt")); err != nil || len(b) != 57 {
		t.Fatalf("read through the daemon: %d bytes, %v", len(b), err)
	}
	if out := talk("pin", "/dir_many"); !strings.Contains(out, "pinned /dir_many") {
		t.Fatalf("pin: %q", out)
	}
	if out := talk("pins"); !strings.Contains(out, "/dir_many") {
		t.Fatalf("pins: %q", out)
	}
	if out := talk("revision"); !strings.Contains(out, "revision 4") {
		t.Fatalf("revision: %q", out)
	}
	if out := talk("cache", "usage"); !strings.Contains(out, "limit 209715200") {
		t.Fatalf("cache usage ignores CVMFS_QUOTA_LIMIT: %q", out)
	}
	if out, err := exec.Command(fusermount, "-u", mnt).CombinedOutput(); err != nil {
		t.Fatalf("fusermount3 -u: %v %s", err, out)
	}
	waitGone(t, pid, mnt)
	if _, err := os.Stat(pidFile); err == nil {
		t.Fatal("pid file left behind")
	}

	// SIGTERM unmounts; then offline from the cache with the server gone.
	if out, err := ucvmRun(t, bin, mount...); err != nil {
		t.Fatalf("second mount: %v\n%s", err, out)
	}
	pid = readPid(t, pidFile)
	syscall.Kill(pid, syscall.SIGTERM)
	waitGone(t, pid, mnt)
	srv.Close()
	if out, err := ucvmRun(t, bin, mount...); err != nil {
		t.Fatalf("offline mount: %v\n%s", err, out)
	}
	pid = readPid(t, pidFile)
	if out := talk("revision"); !strings.Contains(out, "offline true") {
		t.Fatalf("not offline: %q", out)
	}
	entries, err := os.ReadDir(filepath.Join(mnt, "dir_many"))
	if err != nil || len(entries) == 0 {
		t.Fatalf("offline listing: %v", err)
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			if _, err := os.ReadFile(filepath.Join(mnt, "dir_many", e.Name())); err != nil {
				t.Fatalf("pinned file offline: %v", err)
			}
		}
	}
	syscall.Kill(pid, syscall.SIGTERM)
	waitGone(t, pid, mnt)
}
