package fusefs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/testutil"
	"github.com/ucvm/ucvm/internal/tree"
)

func fixture(t *testing.T) (dir, key string) {
	dir = testutil.FixtureRepo(t)
	return dir, filepath.Join(dir, fixtureFQRN+".pub")
}

// TestFixtureTagsThroughMount: every tag of the repository written by the
// original server looks through our mount exactly as through cvmfs2.
func TestFixtureTagsThroughMount(t *testing.T) {
	dir, key := fixture(t)
	srv := newRepoServer(t, fixtureFQRN, dir)
	cacheDir := t.TempDir()
	for _, tag := range []string{"v1", "v2", "v3", "trunk"} {
		t.Run(tag, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, "mounted."+tag+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			e := newEnv(t, fixtureFQRN, key, cacheDir, 0, deadURL(t), srv.repoURL(fixtureFQRN))
			e.tag = tag
			mnt, m := e.mount(t)
			if d := tree.Diff(string(want), listing(t, mnt), 20); d != "" {
				t.Fatalf("mounted listing of %s differs from the original client's:\n%s", tag, d)
			}
			xattr(t, mnt, "user.fqrn", fixtureFQRN)
			xattr(t, mnt, "user.tag", tag)
			xattr(t, mnt, "user.expires", "never (fixed root catalog)")
			xattr(t, mnt, "user.host", srv.repoURL(fixtureFQRN)) // failed over from the dead first host
			if m.FS.Info().Revision == 0 {
				t.Fatal("no revision")
			}
		})
	}
}

// TestFixtureXattrs checks magic and published attributes against the
// fixture's MANIFEST (chunk counts, hashes, xattrs).
func TestFixtureXattrs(t *testing.T) {
	dir, key := fixture(t)
	srv := newRepoServer(t, fixtureFQRN, dir)
	e := newEnv(t, fixtureFQRN, key, t.TempDir(), 0, srv.repoURL(fixtureFQRN))
	mnt, _ := e.mount(t)
	xattr(t, mnt, "user.revision", "4")
	xattr(t, mnt, "user.root_hash", "333600a63c242a5ad92a7b86973a2a96c8eb4a65")
	xattr(t, mnt, "user.timestamp", "1795337553")
	if v := getx(t, mnt, "user.nclg"); v == "" || v == "0" {
		t.Fatalf("user.nclg = %q", v)
	}
	big := filepath.Join(mnt, "big_random.bin")
	if n := getx(t, big, "user.chunks"); n == "1" || n == "" {
		t.Fatalf("chunked file reports %q chunks", n)
	}
	if l := getx(t, big, "user.chunk_list"); !strings.HasPrefix(l, "hash,offset,size\n") {
		t.Fatalf("chunk_list %q", l)
	}
	readme := filepath.Join(mnt, "README.txt")
	if h := getx(t, readme, "user.hash"); len(h) != 40 {
		t.Fatalf("user.hash %q", h)
	}
	if h := getx(t, readme, "user.lhash"); len(h) != 40 {
		t.Fatalf("user.lhash %q", h)
	}
	xattr(t, readme, "user.compression", "zlib")
	// published xattrs recorded in the fixture
	manifest, _ := os.ReadFile(filepath.Join(dir, "MANIFEST.txt"))
	if !strings.Contains(string(manifest), "user.") {
		t.Skip("fixture MANIFEST lists no xattrs")
	}
	found := false
	filepath.WalkDir(mnt, func(p string, d os.DirEntry, err error) error {
		if err != nil || found || d.Type()&os.ModeSymlink != 0 {
			return nil
		}
		buf := make([]byte, 4096)
		n, _ := unix.Llistxattr(p, buf)
		for _, name := range strings.Split(string(buf[:n]), "\x00") {
			if strings.HasPrefix(name, "user.") && p != mnt {
				if _, err := unix.Lgetxattr(p, name, make([]byte, 4096)); err != nil {
					t.Errorf("listed xattr %s of %s unreadable: %v", name, p, err)
				}
				found = true
			}
		}
		return nil
	})
	if !found {
		t.Fatal("no published xattr visible through the mount")
	}
}

// TestTamperedAndTruncatedObjects: bad bytes from every host are EIO, and
// nothing of the bad object reaches the reader.
func TestTamperedAndTruncatedObjects(t *testing.T) {
	dir, key := fixture(t)
	obj := objectOf(t, dir, key, "/README.txt")
	for _, mode := range []string{"tamper", "truncate"} {
		t.Run(mode, func(t *testing.T) {
			srv := newRepoServer(t, fixtureFQRN, dir)
			srv2 := newRepoServer(t, fixtureFQRN, dir)
			for _, s := range []*repoServer{srv, srv2} {
				if mode == "tamper" {
					s.tamper.Store(obj)
				} else {
					s.truncate.Store(obj)
				}
			}
			e := newEnv(t, fixtureFQRN, key, t.TempDir(), 0, srv.repoURL(fixtureFQRN), srv2.repoURL(fixtureFQRN))
			mnt, _ := e.mount(t)
			data, err := os.ReadFile(filepath.Join(mnt, "README.txt"))
			if !errors.Is(err, syscall.EIO) || len(data) != 0 {
				t.Fatalf("bad object: %d bytes, err %v", len(data), err)
			}
			// a good copy on one host is served
			srv2.tamper.Store("")
			srv2.truncate.Store("")
			if data, err := os.ReadFile(filepath.Join(mnt, "README.txt")); err != nil || len(data) != 57 {
				t.Fatalf("after fixing host 2: %d bytes, %v", len(data), err)
			}
		})
	}
}

// TestStalledHost: a host that stalls mid-object yields EIO within the
// budget; with a second host the read fails over and succeeds.
func TestStalledHost(t *testing.T) {
	dir, key := fixture(t)
	obj := objectOf(t, dir, key, "/README.txt")
	srv := newRepoServer(t, fixtureFQRN, dir)
	srv.stall.Store(obj)
	e := newEnv(t, fixtureFQRN, key, t.TempDir(), 0, srv.repoURL(fixtureFQRN))
	mnt, _ := e.mount(t)
	start := time.Now()
	_, err := os.ReadFile(filepath.Join(mnt, "README.txt"))
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("stalled only host: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("EIO after %v, budget is timeout 1 s x attempts", d)
	}
	good := newRepoServer(t, fixtureFQRN, dir)
	e2 := newEnv(t, fixtureFQRN, key, t.TempDir(), 0, srv.repoURL(fixtureFQRN), good.repoURL(fixtureFQRN))
	mnt2, m2 := e2.mount(t)
	if data, err := os.ReadFile(filepath.Join(mnt2, "README.txt")); err != nil || len(data) != 57 {
		t.Fatalf("failover after stall: %d bytes, %v", len(data), err)
	}
	xattr(t, mnt2, "user.host", good.repoURL(fixtureFQRN))
	if out, err := m2.Command("host switch"); err != nil || !strings.Contains(out, "current "+srv.repoURL(fixtureFQRN)) {
		t.Fatalf("host switch: %q %v", out, err)
	}
	xattr(t, mnt2, "user.host_list", srv.repoURL(fixtureFQRN)+";"+good.repoURL(fixtureFQRN))
}

// objectOf returns the storage path of a non-chunked file's object.
func objectOf(t *testing.T, dir, key, path string) string {
	masters, err := keys.LoadPublic(key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := reader.NewDirCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := reader.Open(context.Background(), reader.Options{FQRN: fixtureFQRN, Source: reader.DirSource{Dir: dir}, Cache: c, MasterKeys: masters})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n, err := r.Lookup(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return n.Hash.ObjectPath(0)
}

func getx(t *testing.T, p, name string) string {
	t.Helper()
	buf := make([]byte, 64<<10)
	n, err := unix.Lgetxattr(p, name, buf)
	if err != nil {
		t.Fatalf("getxattr %s %s: %v", p, name, err)
	}
	return string(buf[:n])
}

func xattr(t *testing.T, p, name, want string) {
	t.Helper()
	if got := getx(t, p, name); got != want {
		t.Fatalf("%s of %s = %q, want %q", name, p, got, want)
	}
}

var _ = fusefs.Version

// TestProxyGroupDown: the first proxy group does not answer, the next group
// (DIRECT) serves the mount; user.proxy and talk report it.
func TestProxyGroupDown(t *testing.T) {
	dir, key := fixture(t)
	srv := newRepoServer(t, fixtureFQRN, dir)
	deadProxy := strings.TrimSuffix(deadURL(t), "/cvmfs/x")
	e := newEnvProxies(t, fixtureFQRN, key, t.TempDir(), 0, [][]string{{deadProxy}, {"DIRECT"}}, srv.repoURL(fixtureFQRN))
	mnt, m := e.mount(t)
	if data, err := os.ReadFile(filepath.Join(mnt, "README.txt")); err != nil || len(data) != 57 {
		t.Fatalf("read with the first proxy group down: %d bytes, %v", len(data), err)
	}
	xattr(t, mnt, "user.proxy", "DIRECT")
	if out, err := m.Command("proxy info"); err != nil || !strings.Contains(out, "current DIRECT") || !strings.Contains(out, deadProxy) {
		t.Fatalf("proxy info: %q %v", out, err)
	}
}
