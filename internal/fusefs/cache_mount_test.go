package fusefs_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/tree"
)

// TestOfflineRemountFromCache: with every server down, a repository whose
// manifest and catalogs are cached mounts from the breadcrumb, serves what is
// cached and fails fast with EIO on the rest; back online, remount follows
// the server again.
func TestOfflineRemountFromCache(t *testing.T) {
	dir, key := fixture(t)
	srv := newRepoServer(t, fixtureFQRN, dir)
	cacheDir := t.TempDir()
	e := newEnv(t, fixtureFQRN, key, cacheDir, 0, srv.repoURL(fixtureFQRN))
	mnt, m := e.mount(t)
	want := readFile(t, filepath.Join(mnt, "README.txt"))
	os.ReadDir(filepath.Join(mnt, "nested"))
	if err := m.Unmount(); err != nil {
		t.Fatal(err)
	}
	e.cache.Close()
	if _, err := os.Stat(filepath.Join(cacheDir, "cvmfschecksum."+fixtureFQRN)); err != nil {
		t.Fatalf("no breadcrumb: %v", err)
	}

	srv.down.Store(true)
	e2 := newEnv(t, fixtureFQRN, key, cacheDir, 0, srv.repoURL(fixtureFQRN))
	mnt2, m2 := e2.mount(t)
	if !m2.FS.Offline() || m2.FS.Info().Revision != 4 {
		t.Fatalf("offline %v revision %d", m2.FS.Offline(), m2.FS.Info().Revision)
	}
	xattr(t, mnt2, "user.offline", "1")
	if got := readFile(t, filepath.Join(mnt2, "README.txt")); string(got) != string(want) {
		t.Fatal("cached file differs offline")
	}
	start := time.Now()
	if _, err := os.ReadFile(filepath.Join(mnt2, "big_text.txt")); !errors.Is(err, syscall.EIO) {
		t.Fatalf("uncached file offline: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("offline miss took %v", d)
	}
	srv.down.Store(false)
	if out, err := m2.Command("remount"); err != nil || !strings.Contains(out, "revision 4") {
		t.Fatalf("remount: %q %v", out, err)
	}
	if m2.FS.Offline() {
		t.Fatal("still offline after the server came back")
	}
	if _, err := os.ReadFile(filepath.Join(mnt2, "big_text.txt")); err != nil {
		t.Fatalf("after reconnect: %v", err)
	}
}

// TestSmallQuotaLargerWorkingSet: the whole fixture (about 80 MB of content)
// through a 24 MB cache: every file reads correctly, eviction happens, the
// pinned directory stays cached.
func TestSmallQuotaLargerWorkingSet(t *testing.T) {
	dir, key := fixture(t)
	srv := newRepoServer(t, fixtureFQRN, dir)
	const quota = 24 << 20
	e := newEnv(t, fixtureFQRN, key, t.TempDir(), quota, srv.repoURL(fixtureFQRN))
	e.tag = "trunk"
	mnt, m := e.mount(t)
	out, err := fusefs.Talk(fusefs.SocketPath(e.cache.Dir(), fixtureFQRN), "pin /dir_many", 30*time.Second)
	if err != nil || !strings.Contains(out, "pinned /dir_many") {
		t.Fatalf("pin: %q %v", out, err)
	}
	want, _ := os.ReadFile(filepath.Join(dir, "mounted.trunk.txt"))
	for round := range 2 {
		if d := tree.Diff(string(want), listing(t, mnt), 10); d != "" {
			t.Fatalf("round %d under quota:\n%s", round, d)
		}
	}
	u := e.cache.Usage()
	if u.Stats.Evictions == 0 {
		t.Fatalf("no evictions: %+v", u)
	}
	if u.UsedBytes > quota {
		t.Fatalf("cache %d bytes over the %d quota", u.UsedBytes, quota)
	}
	if pins := e.cache.Pins(); len(pins) != 1 || pins[0] != "/dir_many" {
		t.Fatalf("pins %v", pins)
	}
	requests := srv.requests.Load()
	e.cache.Cleanup(0)
	entries, _ := os.ReadDir(filepath.Join(mnt, "dir_many"))
	for _, de := range entries {
		if de.Type().IsRegular() {
			readFile(t, filepath.Join(mnt, "dir_many", de.Name()))
		}
	}
	if n := srv.requests.Load() - requests; n != 0 {
		t.Fatalf("pinned files were downloaded again (%d requests)", n)
	}
	// Pinning a cached set again (every warm boot does) reads nothing.
	if out, err := m.Command("pin /dir_many"); err != nil || !strings.Contains(out, "pinned /dir_many") {
		t.Fatalf("pin again: %q %v", out, err)
	}
	if n := srv.requests.Load() - requests; n != 0 {
		t.Fatalf("pinning a cached set downloaded %d objects", n)
	}
	for _, cmd := range []string{"pins", "cache usage", "revision", "host info", "proxy info", "cleanup 0"} {
		if out, err := m.Command(cmd); err != nil || out == "" {
			t.Fatalf("%s: %q %v", cmd, out, err)
		}
	}
}
