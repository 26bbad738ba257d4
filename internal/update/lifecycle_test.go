package update_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/boot"
	"github.com/ucvm/ucvm/internal/cache"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/fetch"
	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/rebase"
	"github.com/ucvm/ucvm/internal/testutil"
	"github.com/ucvm/ucvm/internal/update"
	"github.com/ucvm/ucvm/internal/update/updatetest"
)

// machine mounts the repository and the overlay root like the bootloader.
type machine struct {
	t           *testing.T
	f           *updatetest.Fixture
	ro, root    string
	repo        *fusefs.Mounted
	cacheHandle *cache.Cache
	fetcher     *fetch.Fetcher
}

// mountRepo mounts rootHash ("" = newest) with the scratch disk's id maps.
func (m *machine) mountRepo(rootHash string) string {
	t := m.t
	masters, err := keys.LoadPublic(m.f.Key)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fetch.DefaultConfig()
	cfg.Hosts = fetch.ParseHostList(m.f.URL, updatetest.FQRN)
	if m.fetcher, err = fetch.New(cfg); err != nil {
		t.Fatal(err)
	}
	if m.cacheHandle, err = cache.Open(filepath.Join(m.f.RW, "cache", updatetest.FQRN), cache.Options{}); err != nil {
		t.Fatal(err)
	}
	fc := fusefs.Config{FQRN: updatetest.FQRN, Network: m.fetcher, Cache: m.cacheHandle}
	fc.UIDMap, _ = fusefs.LoadIDMap(filepath.Join(m.f.RW, "aux/uid_map"))
	fc.GIDMap, _ = fusefs.LoadIDMap(filepath.Join(m.f.RW, "aux/gid_map"))
	base := reader.Options{FQRN: updatetest.FQRN, Source: reader.FetchSource{F: m.fetcher}, Cache: m.cacheHandle, MasterKeys: masters, RootHash: rootHash}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if m.repo, err = fusefs.Mount(ctx, fusefs.MountConfig{Config: fc, Mountpoint: m.ro, Open: fusefs.ReaderOpener(base), NoControl: true}); err != nil {
		t.Fatal(err)
	}
	return m.repo.FS.Info().RootHash.String()
}

func (m *machine) umountRepo() {
	if m.repo != nil {
		m.repo.Unmount()
		m.repo.Wait()
		m.cacheHandle.Close()
		m.fetcher.Close()
		m.repo = nil
	}
}

func (m *machine) mountRoot() {
	work := filepath.Join(m.f.RW, "work")
	os.RemoveAll(work)
	os.MkdirAll(work, 0o755)
	opts := "lowerdir=" + filepath.Join(m.ro, "os") + ",upperdir=" + filepath.Join(m.f.RW, boot.DirPersistent) + ",workdir=" + work
	if err := unix.Mount("overlay", m.root, "overlay", 0, opts); err != nil {
		m.t.Fatalf("overlay: %v", err)
	}
}

func (m *machine) shutdown() {
	unix.Unmount(m.root, 0)
	m.umountRepo()
}

func (m *machine) read(p string) string {
	b, err := os.ReadFile(filepath.Join(m.root, p))
	if err != nil {
		m.t.Fatal(err)
	}
	return string(b)
}

// TestUpdateLifecycle: revision 1 is pinned and mounted through the real
// client under an overlay; the user changes /etc and /usr, deletes a file
// and adds a user; revision 2 changes all of them and adds a system user
// whose uid clashes; `update --apply` unpins; the "next boot" mounts the
// newest revision, rebases, re-mounts with the id maps and shows: /etc
// kept, /usr from revision 2, the deleted file back, both users, and the
// new user's files with the remapped uid.
func TestUpdateLifecycle(t *testing.T) {
	testutil.RequireFUSE(t)
	f := updatetest.New(t, "1")
	d := t.TempDir()
	m := &machine{t: t, f: f, ro: filepath.Join(d, "ro"), root: filepath.Join(d, "root")}
	os.MkdirAll(m.ro, 0o755)
	os.MkdirAll(m.root, 0o755)
	t.Cleanup(m.shutdown)
	for p, c := range map[string]string{"os/etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "os/etc/group": "root:x:0:\n",
		"os/etc/conf": "conf v1", "os/usr/bin/tool": "tool v1", "os/usr/lib/gone": "gone v1"} {
		f.SrcFile(p, []byte(c))
	}
	h1 := f.Publish("v1")
	f.Pin(h1, "")

	m.mountRepo(h1)
	m.mountRoot()
	os.WriteFile(filepath.Join(m.root, "etc/conf"), []byte("conf local"), 0o644)
	os.WriteFile(filepath.Join(m.root, "usr/bin/tool"), []byte("tool local"), 0o755)
	if err := os.Remove(filepath.Join(m.root, "usr/lib/gone")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(m.root, "etc/passwd"), []byte(m.read("etc/passwd")+"alice:x:1000:1000::/home/alice:/bin/sh\n"), 0o644)
	os.WriteFile(filepath.Join(m.root, "etc/group"), []byte(m.read("etc/group")+"alice:x:1000:\n"), 0o644)
	m.shutdown()

	f.SrcFile("os/etc/conf", []byte("conf v2"))
	f.SrcFile("os/usr/bin/tool", []byte("tool v2"))
	f.SrcFile("os/usr/lib/gone", []byte("gone v2"))
	f.SrcFile("os/etc/passwd", []byte("root:x:0:0:root:/root:/bin/sh\nsvc:x:1000:1000::/var/lib/svc:/bin/false\n"))
	f.SrcFile("os/etc/group", []byte("root:x:0:\nsvc:x:1000:\n"))
	f.SrcFile("os/var/lib/svc/data", []byte("svc data"))
	if err := os.Chown(filepath.Join(f.Src, "os/var/lib/svc/data"), 1000, 1000); err != nil {
		t.Fatal(err)
	}
	f.Publish("v2")
	if _, err := update.ApplyOS(ctx, opts(f)); err != nil {
		t.Fatal(err)
	}

	// next boot: fresh mount of the newest snapshot, pin, rebase, re-mount
	h2 := m.mountRepo("")
	f.Pin(h2, "")
	res, err := rebase.AtBoot(f.RW, filepath.Join(m.ro, "os"), h2, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Restored != 1 || res.Dropped != 1 || res.UIDMapEntries != 1 || res.GIDMapEntries != 1 {
		t.Fatalf("rebase %+v", res)
	}
	m.umountRepo()
	m.mountRepo(h2)
	m.mountRoot()
	for p, want := range map[string]string{"etc/conf": "conf local", "usr/bin/tool": "tool v2", "usr/lib/gone": "gone v2", "var/lib/svc/data": "svc data"} {
		if got := m.read(p); got != want {
			t.Errorf("/%s = %q, want %q", p, got, want)
		}
	}
	pw := m.read("etc/passwd")
	if !strings.Contains(pw, "alice:x:1000:1000:") || !strings.Contains(pw, "svc:x:1001:1001:") {
		t.Fatalf("merged passwd:\n%s", pw)
	}
	fi, err := os.Stat(filepath.Join(m.root, "var/lib/svc/data"))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 1001 || st.Gid != 1001 {
		t.Fatalf("svc's file owned by %d:%d, want the mapped 1001:1001", st.Uid, st.Gid)
	}
	if st, err := update.Check(ctx, opts(f)); err != nil || st.Updates() {
		t.Fatalf("after the update: %+v %v", st, err)
	}
}
