package source

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/sys/unix"
)

func sha1hex(b []byte) string { s := sha1.Sum(b); return hex.EncodeToString(s[:]) }

func TestDirAllKinds(t *testing.T) {
	root := mkTree(t)
	src, err := Open(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tree, sums := scanAll(t, src)
	check := func(p string, typ byte, perm uint32) *Entry {
		t.Helper()
		e := tree.Lookup(p)
		if e == nil {
			t.Fatalf("%q missing", p)
		}
		if e.Type() != typ || e.Mode&0o7777 != perm {
			t.Fatalf("%q: type %c mode %o, want %c %o", p, e.Type(), e.Mode, typ, perm)
		}
		return e
	}
	if r := tree.Root(); r.Path != "" || !r.IsDir() {
		t.Fatalf("root %+v", r)
	}
	e := check("/README", 'f', 0o644)
	if e.Size != 6 || e.Mtime != 1700000000 || e.MtimeNS != 123456789 || sums["/README"] != sha1hex([]byte("hello\n")) {
		t.Fatalf("README %+v sum %s", e, sums["/README"])
	}
	if e := check("/empty", 'f', 0o600); e.Size != 0 || sums["/empty"] != sha1hex(nil) {
		t.Fatalf("empty %+v", e)
	}
	check("/sub/big.bin", 'f', 0o644)
	check("/"+oddName, 'f', 0o644)
	check("/modes/suid", 'f', 0o4755)
	check("/modes/sgid", 'f', 0o2755)
	check("/modes/sticky", 'd', 0o1777)
	if e := check("/variant", 'l', 0o777); e.Symlink != "$(CVMFS_TEST_VAR:-/usr)/bin" || e.Size != int64(len(e.Symlink)) {
		t.Fatalf("variant %+v", e)
	}
	check("/fifo", 'p', 0o644)
	if s := tree.Lookup("/sock"); s == nil || s.Type() != 's' || s.Size != 0 {
		t.Fatalf("socket %+v", s)
	}
	if requireRootOrSkipDevices(t) {
		if e := check("/chardev", 'c', 0o644); e.Rdev != unix.Mkdev(1, 3) {
			t.Fatalf("chardev rdev %x", e.Rdev)
		}
		if e := check("/blockdev", 'b', 0o640); e.Rdev != unix.Mkdev(7, 0) {
			t.Fatalf("blockdev rdev %x", e.Rdev)
		}
		if e := tree.Lookup("/sub/deeper/x"); e.UID != 1234 || e.GID != 5678 {
			t.Fatalf("owner %d:%d", e.UID, e.GID)
		}
		if e := tree.Lookup("/variant"); e.UID != 42 || e.GID != 43 {
			t.Fatalf("symlink owner %d:%d", e.UID, e.GID)
		}
	}
	checkLinks(t, tree, sums)
	checkOrder(t, tree)
}

// checkLinks: links/{a,b,c} form one group, sub/xdir and the p1 pair across
// directories are independent files; content is delivered once per inode.
func checkLinks(t *testing.T, tree *Tree, sums map[string]string) {
	t.Helper()
	a, b, c, x := tree.Lookup("/links/a"), tree.Lookup("/links/b"), tree.Lookup("/links/c"), tree.Lookup("/sub/xdir")
	if a.LinkGroup == 0 || a.LinkGroup != b.LinkGroup || b.LinkGroup != c.LinkGroup || a.LinkCount != 3 {
		t.Fatalf("links group: %d/%d %d %d", a.LinkGroup, a.LinkCount, b.LinkGroup, c.LinkGroup)
	}
	if x.LinkGroup != 0 || x.LinkCount != 1 || x.ContentOf != "/links/a" {
		t.Fatalf("cross-directory link: %+v", x)
	}
	p1, o := tree.Lookup("/links/p1"), tree.Lookup("/other_p1")
	if p1.LinkGroup != 0 || o.LinkGroup != 0 || (p1.ContentOf == "") == (o.ContentOf == "") {
		t.Fatalf("cross-directory pair: %+v %+v", p1, o)
	}
	if sums["/links/a"] != sha1hex([]byte("linked content\n")) || sums["/links/b"] != "" || sums["/sub/xdir"] != "" {
		t.Fatalf("hard-link content delivery: %v", sums)
	}
}

// checkOrder: root first, parents before children, siblings sorted,
// descendants contiguous.
func checkOrder(t *testing.T, tree *Tree) {
	t.Helper()
	seen := map[string]int{}
	for i, e := range tree.Entries {
		if i > 0 {
			pi, ok := seen[e.Parent()]
			if !ok {
				t.Fatalf("%q before its parent", e.Path)
			}
			// everything between the parent and e is below the parent
			for _, m := range tree.Entries[pi+1 : i] {
				if !strings.HasPrefix(m.Path, e.Parent()+"/") {
					t.Fatalf("%q not contiguous with parent %q (found %q)", e.Path, e.Parent(), m.Path)
				}
			}
		}
		seen[e.Path] = i
	}
	for dir, kids := range tree.kids {
		for i := 1; i < len(kids); i++ {
			if kids[i-1].Name >= kids[i].Name {
				t.Fatalf("children of %q not sorted: %q %q", dir, kids[i-1].Name, kids[i].Name)
			}
		}
	}
}

func TestDirWorkersSameResult(t *testing.T) {
	root := mkTree(t)
	for i := range 20 {
		os.WriteFile(filepath.Join(root, "sub", "f"+strings.Repeat("x", i)), []byte(strings.Repeat("y", i*1000)), 0o644)
	}
	_, s1 := scanAll(t, must(NewDir(root, Options{Workers: 1})))
	_, s4 := scanAll(t, must(NewDir(root, Options{Workers: 4})))
	if len(s1) != len(s4) || len(s1) < 20 {
		t.Fatalf("%d vs %d contents", len(s1), len(s4))
	}
	for k, v := range s1 {
		if s4[k] != v {
			t.Fatalf("%q differs between 1 and 4 workers", k)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestDirXattrs(t *testing.T) {
	root := mkTree(t)
	if !xattrsSupported(t, root) {
		t.Skip("no user xattrs on this file system")
	}
	p := filepath.Join(root, "README")
	for k, v := range map[string]string{"user.fixture": "hello", "user.empty": "", "user.binary": "\x00\xff\x10"} {
		if err := unix.Lsetxattr(p, k, []byte(v), 0); err != nil {
			t.Fatal(err)
		}
	}
	unix.Lsetxattr(filepath.Join(root, "sub"), "user.dirattr", []byte("on a directory"), 0)
	tree, _ := scanAll(t, must(NewDir(root, Options{Xattrs: true})))
	x := tree.Lookup("/README").Xattrs
	if string(x["user.fixture"]) != "hello" || string(x["user.binary"]) != "\x00\xff\x10" || x["user.empty"] == nil || len(x["user.empty"]) != 0 {
		t.Fatalf("xattrs %q", x)
	}
	if string(tree.Lookup("/sub").Xattrs["user.dirattr"]) != "on a directory" || tree.Lookup("/empty").Xattrs != nil {
		t.Fatal("directory xattr missing or spurious xattrs")
	}
	tree, _ = scanAll(t, must(NewDir(root, Options{Xattrs: false})))
	if tree.Lookup("/README").Xattrs != nil {
		t.Fatal("xattrs recorded although disabled")
	}
	// A 256-byte value does not fit the catalog blob.
	unix.Lsetxattr(p, "user.big", make([]byte, 256), 0)
	_, err := must(NewDir(root, Options{Xattrs: true})).Scan(nil)
	if !errors.Is(err, ErrXattr) || !strings.Contains(err.Error(), p) {
		t.Fatalf("oversized xattr: %v", err)
	}
}

func TestDirVanishesOrChanges(t *testing.T) {
	root := mkTree(t)
	victim := filepath.Join(root, "sub/deeper/x")
	_, err := must(NewDir(root, Options{})).Scan(func(e *Entry, r io.Reader) error {
		os.Remove(victim)
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), victim) {
		t.Fatalf("vanished file: %v", err)
	}
	root = mkTree(t)
	grow := filepath.Join(root, "sub/deeper/x")
	_, err = must(NewDir(root, Options{})).Scan(func(e *Entry, r io.Reader) error {
		os.WriteFile(grow, []byte("now longer"), 0o644)
		_, err := io.Copy(io.Discard, r)
		return err
	})
	if !errors.Is(err, ErrChanged) || !strings.Contains(err.Error(), grow) {
		t.Fatalf("changed file: %v", err)
	}
	if _, err := Open(filepath.Join(root, "nope"), Options{}); !errors.Is(err, ErrNotSource) {
		t.Fatalf("missing SOURCE: %v", err)
	}
	if _, err := NewDir(filepath.Join(root, "README"), Options{}); !errors.Is(err, ErrNotSource) {
		t.Fatalf("file as dir: %v", err)
	}
}

// TestDirUnreadContentCostsNothing: a consumer that does not read a file
// (unchanged in an incremental publish) never opens it.
func TestDirUnreadContentCostsNothing(t *testing.T) {
	root := mkTree(t)
	victim := filepath.Join(root, "sub/big.bin")
	var calls atomic.Int32
	_, err := must(NewDir(root, Options{Workers: 2})).Scan(func(e *Entry, r io.Reader) error {
		os.Remove(victim)
		calls.Add(1)
		return nil
	})
	if err != nil || calls.Load() < 5 {
		t.Fatalf("unread contents: %d calls, %v", calls.Load(), err)
	}
}
