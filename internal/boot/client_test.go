package boot

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/repo"
	"github.com/ucvm/ucvm/internal/serve"
	"github.com/ucvm/ucvm/internal/testutil"
)

// TestMain lets the test binary play the client daemon, as /init does.
func TestMain(m *testing.M) {
	if len(os.Args) > 0 && os.Args[0] == ClientArgv0 {
		os.Exit(ClientMain(os.Args))
	}
	os.Exit(m.Run())
}

// osRepo is a published OS repository served on 127.0.0.1.
type osRepo struct {
	fqrn, storage, keys string
	srv                 *httptest.Server
}

func newOSRepo(t *testing.T, fqrn string) *osRepo {
	t.Helper()
	d := t.TempDir()
	r := &osRepo{fqrn: fqrn, storage: filepath.Join(d, "storage"), keys: filepath.Join(d, "keys")}
	if _, _, err := repo.Create(fqrn, r.storage, r.keys, time.Now()); err != nil {
		t.Fatal(err)
	}
	rp, err := serve.Discover(r.storage)
	if err != nil {
		t.Fatal(err)
	}
	h, err := serve.NewHandler([]serve.Repo{rp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(h)
	t.Cleanup(r.srv.Close)
	return r
}

// publish publishes a tree given as path -> content under cvm/.
func (r *osRepo) publish(t *testing.T, tag string, files map[string]string) {
	t.Helper()
	src := t.TempDir()
	for p, c := range files {
		full := filepath.Join(src, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := publish.Publish(context.Background(), publish.Options{FQRN: r.fqrn, Storage: r.storage, Keys: r.keys, Source: src, Tag: tag, Workers: 2}); err != nil {
		t.Fatal(err)
	}
}

func (r *osRepo) settings(t *testing.T) RepoSettings {
	cache := filepath.Join(t.TempDir(), "cache")
	os.MkdirAll(cache, 0o755)
	keys := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(r.keys, r.fqrn+".pub"))
	os.WriteFile(filepath.Join(keys, r.fqrn+".pub"), b, 0o644)
	return RepoSettings{FQRN: r.fqrn, OSPath: "cvm", ServerURLs: []string{r.srv.URL + "/cvmfs/" + r.fqrn}, Proxy: "DIRECT",
		CacheDir: cache, QuotaMB: 100, KeysDir: keys}
}

func mountT(t *testing.T, s RepoSettings) *Mounted {
	t.Helper()
	s.Mountpoint = t.TempDir()
	exe, _ := os.Executable()
	t.Setenv("UCVM_RUN_DIR", t.TempDir())
	m, err := DaemonMounter{Exe: exe, RunDir: t.TempDir(), Timeout: time.Minute}.Mount(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopMount(m, s.Mountpoint) })
	if !IsFUSE(s.Mountpoint) {
		t.Fatalf("%s is not a FUSE mount", s.Mountpoint)
	}
	mounts[m] = s.Mountpoint
	return m
}

var mounts = map[*Mounted]string{}

// stopMount ends a client daemon (SIGINT: clean unmount) and waits.
func stopMount(m *Mounted, mnt string) {
	syscall.Kill(m.PID, syscall.SIGINT)
	for i := 0; i < 150 && syscall.Kill(m.PID, 0) == nil; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Unmount(mnt, syscall.MNT_DETACH)
}

// TestClientDaemonPinning mounts the OS repository through the client
// daemon process, pins the snapshot, and shows that the pinned root hash
// is mounted after a newer revision was published and with the server gone.
func TestClientDaemonPinning(t *testing.T) {
	testutil.RequireFUSE(t)
	r := newOSRepo(t, "os.test.local")
	r.publish(t, "v1", map[string]string{"cvm/sbin/init": "#!/bin/sh\necho v1\n", "cvm/etc/release": "v1\n"})
	s := r.settings(t)
	s.Tag, s.Fresh = "v1", true
	m := mountT(t, s)
	if m.RootHash == "" || m.Tag != "v1" || m.Bytes == 0 {
		t.Fatalf("mounted %+v", m)
	}
	b, err := os.ReadFile(filepath.Join(mounts[m], "cvm/etc/release"))
	if err != nil || string(b) != "v1\n" {
		t.Fatalf("release %q %v", b, err)
	}
	conf := ClientConfig(s)
	if !contains(string(conf), "CVMFS_REPOSITORY_TAG='v1'") || !contains(string(conf), "CVMFS_HTTP_PROXY='DIRECT'") {
		t.Errorf("config:\n%s", conf)
	}

	// A newer revision: a pinned mount still shows v1.
	r.publish(t, "v2", map[string]string{"cvm/sbin/init": "#!/bin/sh\necho v2 new\n", "cvm/etc/release": "v2 new\n"})
	stopMount(m, mounts[m])
	pinned := s
	pinned.Tag, pinned.RootHash, pinned.Fresh = "v1", m.RootHash, false
	m2 := mountT(t, pinned)
	if b, _ := os.ReadFile(filepath.Join(mounts[m2], "cvm/etc/release")); string(b) != "v1\n" {
		t.Fatalf("pinned mount shows %q", b)
	}
	// Forced tag: fresh at v2.
	forced := s
	forced.Tag, forced.Fresh = "v2", true
	forced.CacheDir = filepath.Join(t.TempDir())
	m3 := mountT(t, forced)
	if b, _ := os.ReadFile(filepath.Join(mounts[m3], "cvm/etc/release")); string(b) != "v2 new\n" || m3.RootHash == m.RootHash {
		t.Fatalf("forced tag shows %q (%s)", b, m3.RootHash)
	}

	stopMount(m2, mounts[m2])
	// Server gone: the pinned snapshot comes from the cache.
	r.srv.Close()
	m4 := mountT(t, pinned)
	if b, err := os.ReadFile(filepath.Join(mounts[m4], "cvm/etc/release")); string(b) != "v1\n" {
		t.Fatalf("offline pinned mount: %q %v", b, err)
	}
	if m4.Bytes != 0 {
		t.Errorf("offline mount fetched %d bytes", m4.Bytes)
	}
}

func contains(s, sub string) bool {
	return len(s) >= len(sub) && (s == sub || len(sub) == 0 || indexOf(s, sub) >= 0)
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestSetProcName: the daemons show in ps under their own name rather
// than "exe" (they are started as /proc/self/exe).
func TestSetProcName(t *testing.T) {
	old, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Skip("no /proc/self/comm:", err)
	}
	defer setProcName(strings.TrimSpace(string(old)))
	setProcName(ClientArgv0[1:])
	got, _ := os.ReadFile("/proc/self/comm")
	if strings.TrimSpace(string(got)) != "ucvm-mount" {
		t.Fatalf("comm %q, want ucvm-mount", got)
	}
}
