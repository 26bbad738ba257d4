package fusefs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/testutil"
	"golang.org/x/sys/unix"
)

func mountMem(t *testing.T, tree *memTree, cfg Config, open Opener) (string, *Mounted) {
	t.Helper()
	testutil.RequireFUSE(t)
	mnt := t.TempDir()
	if cfg.FQRN == "" {
		cfg.FQRN = "mem.test"
	}
	first := true
	opener := func(ctx context.Context, req OpenRequest) (Tree, error) {
		if first {
			first = false
			return tree, nil
		}
		if open == nil {
			return nil, errors.New("no updates in this test")
		}
		return open(ctx, req)
	}
	m, err := Mount(context.Background(), MountConfig{Config: cfg, Mountpoint: mnt, Open: opener, NoControl: true})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { m.Wait(); close(done) }()
	t.Cleanup(func() {
		if err := m.Unmount(); err != nil {
			t.Error(err)
		}
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop after unmount")
		}
	})
	return mnt, m
}

func TestMountAttributesLinksDevicesXattrs(t *testing.T) {
	tr := newMemTree(1)
	tr.add("/dir", catalog.ModeDir|0o755, nil, "")
	tr.add("/dir/hello", catalog.ModeRegular|0o4755, []byte("hello world\n"), "")
	a := tr.add("/dir/hl1", catalog.ModeRegular|0o644, []byte("shared"), "")
	a.Hardlinks = 5<<32 | 2
	b := tr.add("/dir/hl2", catalog.ModeRegular|0o644, []byte("shared"), "")
	b.Hardlinks, b.Inode = a.Hardlinks, a.Inode
	dev := tr.add("/dir/null", catalog.ModeChar|0o666, nil, "")
	dev.Size = int64(catalog.Makedev(1, 3))
	tr.add("/dir/var", catalog.ModeSymlink|0o777, nil, "$(MEMTEST_VAR)/x/$(MEMTEST_ARCH:-amd64)")
	tr.nodes["/dir/hello"].HasXattrs = true
	tr.xattrs["/dir/hello"] = map[string][]byte{"user.published": []byte("yes")}
	env := func(k string) (string, bool) {
		if k == "MEMTEST_VAR" {
			return "/opt", true
		}
		return "", false
	}
	mnt, m := mountMem(t, tr, Config{Env: env}, nil)

	data, err := os.ReadFile(filepath.Join(mnt, "dir/hello"))
	if err != nil || string(data) != "hello world\n" {
		t.Fatalf("read: %q %v", data, err)
	}
	var st syscall.Stat_t
	if err := syscall.Lstat(filepath.Join(mnt, "dir/hello"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Mode != catalog.ModeRegular|0o4755 || st.Uid != 7 || st.Gid != 8 || st.Size != 12 || st.Mtim.Sec != 1700000000 {
		t.Fatalf("stat: %+v", st)
	}
	var s1, s2 syscall.Stat_t
	syscall.Lstat(filepath.Join(mnt, "dir/hl1"), &s1)
	syscall.Lstat(filepath.Join(mnt, "dir/hl2"), &s2)
	if s1.Ino != s2.Ino || s1.Nlink != 2 {
		t.Fatalf("hard links: ino %d/%d nlink %d", s1.Ino, s2.Ino, s1.Nlink)
	}
	syscall.Lstat(filepath.Join(mnt, "dir/null"), &st)
	if st.Mode&syscall.S_IFMT != syscall.S_IFCHR || st.Rdev != 1<<8|3 {
		t.Fatalf("device: mode %o rdev %x", st.Mode, st.Rdev)
	}
	if l, err := os.Readlink(filepath.Join(mnt, "dir/var")); err != nil || l != "/opt/x/amd64" {
		t.Fatalf("variant symlink: %q %v", l, err)
	}
	before := m.FS.Stats().Readlinks
	for i := 0; i < 3; i++ { // the kernel caches symlink targets
		if l, _ := os.Readlink(filepath.Join(mnt, "dir/var")); l != "/opt/x/amd64" {
			t.Fatalf("variant symlink, again: %q", l)
		}
	}
	if n := m.FS.Stats().Readlinks - before; n != 0 {
		t.Errorf("%d READLINKs for a cached symlink target", n)
	}
	checkXattr(t, filepath.Join(mnt, "dir/var"), "xfsroot.rawlink", "$(MEMTEST_VAR)/x/$(MEMTEST_ARCH:-amd64)")
	checkXattr(t, filepath.Join(mnt, "dir/hello"), "user.published", "yes")
	checkXattr(t, filepath.Join(mnt, "dir/hello"), "user.hash", tr.nodes["/dir/hello"].Hash.String())
	checkXattr(t, filepath.Join(mnt, "dir/hello"), "user.lhash", tr.nodes["/dir/hello"].Hash.String())
	checkXattr(t, filepath.Join(mnt, "dir/hello"), "user.chunks", "1")
	checkXattr(t, mnt, "user.fqrn", "mem.test")
	checkXattr(t, mnt, "user.revision", "1")
	checkXattr(t, mnt, "user.root_hash", tr.info.RootHash.String())
	checkXattr(t, mnt, "user.pid", fmt.Sprint(os.Getpid()))
	if _, err := getxattr(filepath.Join(mnt, "dir/hello"), "user.nonexistent"); !errors.Is(err, syscall.ENODATA) {
		t.Fatalf("missing xattr: %v", err)
	}
	if names := listxattr(t, mnt); !contains(names, "user.fqrn") {
		t.Fatalf("root listxattr lacks magic names: %v", names)
	}
	if names := listxattr(t, filepath.Join(mnt, "dir/hello")); contains(names, "user.fqrn") || !contains(names, "user.published") {
		t.Fatalf("file listxattr: %v", names)
	}
	if err := os.WriteFile(filepath.Join(mnt, "dir/new"), nil, 0o644); err == nil {
		t.Fatal("write to a read-only mount succeeded")
	}
	if _, err := os.Stat(filepath.Join(mnt, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing entry: %v", err)
	}
}

func TestHideMagicXattrsAndClaimOwnership(t *testing.T) {
	tr := newMemTree(1)
	tr.add("/f", catalog.ModeRegular|0o644, []byte("x"), "")
	mnt, _ := mountMem(t, tr, Config{HideMagicXattrs: true, ClaimOwnership: true}, nil)
	if names := listxattr(t, mnt); contains(names, "user.fqrn") {
		t.Fatalf("hidden magic xattrs listed: %v", names)
	}
	checkXattr(t, mnt, "user.fqrn", "mem.test")
	var st syscall.Stat_t
	syscall.Lstat(filepath.Join(mnt, "f"), &st)
	if st.Uid != uint32(os.Getuid()) || st.Gid != uint32(os.Getgid()) {
		t.Fatalf("ownership not claimed: %d:%d", st.Uid, st.Gid)
	}
}

func TestStalledReadEndsWithEIO(t *testing.T) {
	tr := newMemTree(1)
	tr.add("/stall", catalog.ModeRegular|0o644, []byte("never served"), "")
	tr.stall["/stall"], tr.ignored = true, true
	mnt, _ := mountMem(t, tr, Config{OpTimeout: time.Second}, nil)
	start := time.Now()
	_, err := os.ReadFile(filepath.Join(mnt, "stall"))
	if !errors.Is(err, syscall.EIO) {
		t.Fatalf("stalled open: %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("stalled open took %v", d)
	}
}

func TestTTLFollowsNewRevisionFixedDoesNot(t *testing.T) {
	for _, fixed := range []bool{false, true} {
		t.Run(fmt.Sprint("fixed=", fixed), func(t *testing.T) {
			r1 := newMemTree(1)
			r1.info.TTL, r1.info.Fixed = time.Second, fixed
			r1.add("/a", catalog.ModeRegular|0o644, []byte("one"), "")
			r2 := newMemTree(2)
			r2.info.TTL = time.Second
			r2.add("/a", catalog.ModeRegular|0o644, []byte("two"), "")
			r2.add("/b", catalog.ModeRegular|0o644, []byte("new"), "")
			var calls atomic.Int32
			open := func(ctx context.Context, req OpenRequest) (Tree, error) {
				calls.Add(1)
				if req.MinRevision != 1 {
					return nil, fmt.Errorf("update asked for min revision %d, want 1", req.MinRevision)
				}
				return r2, nil
			}
			mnt, m := mountMem(t, r1, Config{AutoUpdate: true}, open)
			if d, _ := os.ReadFile(filepath.Join(mnt, "a")); string(d) != "one" {
				t.Fatalf("first revision: %q", d)
			}
			wait := 10 * time.Second
			if fixed {
				wait = 3 * time.Second // three TTLs
			}
			deadline := time.Now().Add(wait)
			for time.Now().Before(deadline) && m.FS.Info().Revision == 1 {
				time.Sleep(200 * time.Millisecond)
				os.Stat(filepath.Join(mnt, "a")) // operations trigger the check
				os.ReadDir(mnt)
			}
			if fixed {
				if m.FS.Info().Revision != 1 || calls.Load() != 0 {
					t.Fatalf("fixed mount moved: revision %d, %d opens", m.FS.Info().Revision, calls.Load())
				}
				return
			}
			if m.FS.Info().Revision != 2 {
				t.Fatal("did not follow revision 2")
			}
			time.Sleep(1100 * time.Millisecond) // kernel entry cache = TTL
			if d, err := os.ReadFile(filepath.Join(mnt, "b")); err != nil || string(d) != "new" {
				t.Fatalf("new file: %q %v", d, err)
			}
			if d, _ := os.ReadFile(filepath.Join(mnt, "a")); string(d) != "two" {
				t.Fatalf("changed file: %q", d)
			}
			checkXattr(t, mnt, "user.revision", "2")
		})
	}
}

func TestConcurrentReaders(t *testing.T) {
	tr := newMemTree(1)
	const dirs, per = 20, 100
	for d := range dirs {
		tr.add(fmt.Sprintf("/d%02d", d), catalog.ModeDir|0o755, nil, "")
		for f := range per {
			tr.add(fmt.Sprintf("/d%02d/f%03d", d, f), catalog.ModeRegular|0o644, []byte(fmt.Sprintf("content %d %d\n", d, f)), "")
		}
	}
	mnt, _ := mountMem(t, tr, Config{}, nil)
	var errs atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(60 * time.Second)
	for r := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range dirs * per / 4 {
				if time.Now().After(deadline) {
					errs.Add(1)
					return
				}
				k := (r*31 + i*7) % (dirs * per)
				d, f := k/per, k%per
				got, err := os.ReadFile(fmt.Sprintf("%s/d%02d/f%03d", mnt, d, f))
				if err != nil || string(got) != fmt.Sprintf("content %d %d\n", d, f) {
					if errs.Add(1) < 5 {
						t.Errorf("reader %d: %q %v", r, got, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := errs.Load(); n != 0 {
		t.Fatalf("%d errors", n)
	}
}

func getxattr(path, name string) (string, error) {
	buf := make([]byte, 4096)
	n, err := unix.Lgetxattr(path, name, buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

func checkXattr(t *testing.T, path, name, want string) {
	t.Helper()
	got, err := getxattr(path, name)
	if err != nil || got != want {
		t.Fatalf("xattr %s of %s = %q, %v; want %q", name, path, got, err, want)
	}
}

func listxattr(t *testing.T, path string) []string {
	t.Helper()
	buf := make([]byte, 8192)
	n, err := unix.Llistxattr(path, buf)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	start := 0
	for i := 0; i < n; i++ {
		if buf[i] == 0 {
			out = append(out, string(buf[start:i]))
			start = i + 1
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestUIDGIDMaps(t *testing.T) {
	tr := newMemTree(1)
	tr.add("/f", catalog.ModeRegular|0o644, []byte("x"), "")
	uids, _ := ParseIDMap("7 1000\n")
	gids, _ := ParseIDMap("* 4242\n")
	mnt, _ := mountMem(t, tr, Config{UIDMap: uids, GIDMap: gids}, nil)
	var st syscall.Stat_t
	if err := syscall.Lstat(filepath.Join(mnt, "f"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 1000 || st.Gid != 4242 {
		t.Fatalf("mapped owner %d:%d, want 1000:4242", st.Uid, st.Gid)
	}
}

// TestNeverBackwards: a server offering an older revision than the mounted
// one is ignored.
func TestNeverBackwards(t *testing.T) {
	r5 := newMemTree(5)
	r5.info.TTL = 500 * time.Millisecond
	r5.add("/a", catalog.ModeRegular|0o644, []byte("five"), "")
	var opens atomic.Int32
	open := func(ctx context.Context, req OpenRequest) (Tree, error) {
		opens.Add(1)
		old := newMemTree(3)
		old.add("/a", catalog.ModeRegular|0o644, []byte("three"), "")
		return old, nil
	}
	mnt, m := mountMem(t, r5, Config{AutoUpdate: true}, open)
	for deadline := time.Now().Add(5 * time.Second); opens.Load() < 2 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		os.Stat(filepath.Join(mnt, "a"))
	}
	if opens.Load() < 2 {
		t.Fatal("no update checks happened")
	}
	if m.FS.Info().Revision != 5 || string(mustRead(t, filepath.Join(mnt, "a"))) != "five" {
		t.Fatalf("went backwards to revision %d", m.FS.Info().Revision)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
