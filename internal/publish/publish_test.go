package publish_test

import (
	"bytes"
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/repo"
	"github.com/ucvm/ucvm/internal/testutil"
	"github.com/ucvm/ucvm/internal/tree"
)

const fqrn = "test.ucvm.local"

type fixture struct {
	t                  *testing.T
	src, storage, keys string
}

func newFixture(t *testing.T) *fixture {
	d := t.TempDir()
	f := &fixture{t: t, src: filepath.Join(d, "src"), storage: filepath.Join(d, "storage"), keys: filepath.Join(d, "keys")}
	if _, _, err := repo.Create(fqrn, f.storage, f.keys, time.Now()); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) write(rel string, data []byte) {
	p := filepath.Join(f.src, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) publish(tag string) *publish.Result {
	f.t.Helper()
	res, err := publish.Publish(context.Background(), publish.Options{FQRN: fqrn, Storage: f.storage, Keys: f.keys, Source: f.src, Tag: tag})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// listing returns the canonical listing of a tag ("" = newest) read back
// through the verified reader.
func (f *fixture) listing(src reader.Source, tag string) string {
	f.t.Helper()
	masters, err := keys.LoadPublic(f.keys)
	if err != nil {
		f.t.Fatal(err)
	}
	cache, _ := reader.NewDirCache(f.t.TempDir())
	r, err := reader.Open(context.Background(), reader.Options{FQRN: fqrn, Source: src, Cache: cache, MasterKeys: masters, Tag: tag})
	if err != nil {
		f.t.Fatal(err)
	}
	defer r.Close()
	lines, err := tree.FromRepo(context.Background(), r)
	if err != nil {
		f.t.Fatal(err)
	}
	var b bytes.Buffer
	tree.Write(&b, lines)
	return b.String()
}

func dirListing(t *testing.T, dir string) string {
	lines, err := tree.FromDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	tree.Write(&b, lines)
	return b.String()
}

func assertSame(t *testing.T, what, want, got string) {
	t.Helper()
	if d := tree.Diff(want, got, 20); d != "" {
		t.Fatalf("%s differs:\n%s", what, d)
	}
}

// variedTree writes every kind of entry the publisher must handle.
func (f *fixture) variedTree(big int) {
	rng := rand.New(rand.NewSource(1))
	data := make([]byte, big)
	rng.Read(data)
	f.write("big.bin", data)
	f.write("text/log.txt", bytes.Repeat([]byte("line of text\n"), 400000))
	f.write("empty", nil)
	f.write("dir/a.txt", []byte("a\n"))
	f.write("nested/.cvmfscatalog", nil)
	f.write("nested/x/file", []byte("in nested"))
	f.write("nested/deeper/.cvmfscatalog", nil)
	f.write("nested/deeper/y", []byte("deeper"))
	f.write("odd/we\tird\nname\\x", []byte("odd name"))
	f.write("odd/ünïcödé ✓", []byte("utf8"))
	f.write("odd/\xff\xfebytes", []byte("raw bytes"))
	must(f.t, os.Symlink("../dir/a.txt", filepath.Join(f.src, "odd/link")))
	must(f.t, os.Symlink("$(CVMFS_ARCH:-x86_64)/lib", filepath.Join(f.src, "odd/variant")))
	must(f.t, os.Link(filepath.Join(f.src, "dir/a.txt"), filepath.Join(f.src, "dir/a-hardlink")))
	must(f.t, os.Chmod(filepath.Join(f.src, "dir/a.txt"), 0o4755))
	must(f.t, os.Mkdir(filepath.Join(f.src, "sticky"), 0o1777))
	must(f.t, unix.Mkfifo(filepath.Join(f.src, "dir/fifo"), 0o600))
	if os.Geteuid() == 0 {
		must(f.t, unix.Mknod(filepath.Join(f.src, "dir/null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
		must(f.t, unix.Mknod(filepath.Join(f.src, "dir/loop"), unix.S_IFBLK|0o660, int(unix.Mkdev(7, 0))))
		must(f.t, os.Lchown(filepath.Join(f.src, "dir/a.txt"), 1234, 5678))
	}
	unix.Lsetxattr(filepath.Join(f.src, "dir/a.txt"), "user.origin", []byte("test"), 0)
	old := time.Unix(1500000000, 0)
	must(f.t, os.Chtimes(filepath.Join(f.src, "empty"), old, old))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestRoundTripStorage(t *testing.T) {
	f := newFixture(t)
	f.variedTree(50 << 20)
	res := f.publish("v1")
	if res.Manifest.Revision != 2 || res.Stats.Chunks < 2 {
		t.Fatalf("revision %d, chunks %d", res.Manifest.Revision, res.Stats.Chunks)
	}
	assertSame(t, "listing of the published tree", dirListing(t, f.src), f.listing(reader.DirSource{Dir: f.storage}, ""))
	r := f.open(reader.DirSource{Dir: f.storage})
	a, err := r.Lookup(context.Background(), "/dir/a.txt")
	must(t, err)
	b, err := r.Lookup(context.Background(), "/dir/a-hardlink")
	must(t, err)
	if a.Inode != b.Inode || a.LinkCount() != 2 || a.HardlinkGroup() == 0 {
		t.Fatalf("hard links: inodes %d %d, link count %d", a.Inode, b.Inode, a.LinkCount())
	}
	var probe = []byte{}
	if _, err := unix.Lgetxattr(filepath.Join(f.src, "dir/a.txt"), "user.origin", probe); err == nil {
		x, err := r.Xattrs(context.Background(), a)
		must(t, err)
		if string(x["user.origin"]) != "test" {
			t.Fatalf("xattrs: %q", x)
		}
	}
}

func (f *fixture) open(src reader.Source) *reader.Repo {
	masters, err := keys.LoadPublic(f.keys)
	must(f.t, err)
	cache, _ := reader.NewDirCache(f.t.TempDir())
	r, err := reader.Open(context.Background(), reader.Options{FQRN: fqrn, Source: src, Cache: cache, MasterKeys: masters})
	must(f.t, err)
	f.t.Cleanup(func() { r.Close() })
	return r
}

func TestIncrementalAndTags(t *testing.T) {
	f := newFixture(t)
	f.variedTree(5 << 20)
	f.publish("v1")
	v1 := dirListing(t, f.src)
	// change, delete, add, and a new nested catalog
	f.write("dir/a.txt", []byte("changed content\n"))
	must(t, os.RemoveAll(filepath.Join(f.src, "text")))
	must(t, os.Remove(filepath.Join(f.src, "nested/deeper/.cvmfscatalog")))
	f.write("fresh/.cvmfscatalog", nil)
	f.write("fresh/new.txt", []byte("new"))
	res := f.publish("v2")
	if res.Stats.FilesReused == 0 || res.Stats.CatalogsReused != 0 && res.Stats.Catalogs == 0 {
		t.Fatalf("nothing reused: %+v", res.Stats)
	}
	v2 := dirListing(t, f.src)
	src := reader.DirSource{Dir: f.storage}
	assertSame(t, "trunk", v2, f.listing(src, ""))
	assertSame(t, "tag v2", v2, f.listing(src, "v2"))
	assertSame(t, "tag v1", v1, f.listing(src, "v1"))
	assertSame(t, "trunk-previous", v1, f.listing(src, "trunk-previous"))
	// an unchanged republish reuses every file and every nested catalog
	res = f.publish("")
	if res.Stats.Files != 0 || res.Stats.CatalogsReused == 0 {
		t.Fatalf("unchanged republish did work: %+v", res.Stats)
	}
	assertSame(t, "republished trunk", v2, f.listing(src, ""))
}

func TestWrongKeysRefused(t *testing.T) {
	f := newFixture(t)
	f.write("a", []byte("a"))
	other := newFixture(t)
	_, err := publish.Publish(context.Background(), publish.Options{FQRN: fqrn, Storage: f.storage, Keys: other.keys, Source: f.src})
	if err == nil || !strings.Contains(err.Error(), "whitelist") && !strings.Contains(err.Error(), "signature") {
		t.Fatalf("publish with foreign keys: %v", err)
	}
	before, _ := os.ReadFile(filepath.Join(f.storage, ".cvmfspublished"))
	if len(before) == 0 {
		t.Fatal("manifest gone")
	}
}

func TestVanishingSource(t *testing.T) {
	f := newFixture(t)
	_, err := publish.Publish(context.Background(), publish.Options{FQRN: fqrn, Storage: f.storage, Keys: f.keys, Source: filepath.Join(f.src, "missing")})
	if err == nil {
		t.Fatal("missing SOURCE accepted")
	}
}

func TestRootMarkerRefused(t *testing.T) {
	f := newFixture(t)
	f.write(".cvmfscatalog", nil)
	_, err := publish.Publish(context.Background(), publish.Options{FQRN: fqrn, Storage: f.storage, Keys: f.keys, Source: f.src})
	if err == nil || !strings.Contains(err.Error(), ".cvmfscatalog") {
		t.Fatalf("root marker: %v", err)
	}
}

var _ = testutil.RequireRoot

func TestDirtabCreatesNestedCatalogs(t *testing.T) {
	f := newFixture(t)
	f.write(".cvmfsdirtab", []byte("/sw/*\n! */skip\n"))
	f.write("sw/v1/bin/tool", []byte("tool v1"))
	f.write("sw/v2/bin/tool", []byte("tool v2"))
	f.write("sw/skip/file", []byte("stays in the root catalog"))
	res := f.publish("")
	if res.Stats.Catalogs != 3 {
		t.Fatalf("%d catalogs written, want 3 (root, /sw/v1, /sw/v2)", res.Stats.Catalogs)
	}
	got := f.listing(reader.DirSource{Dir: f.storage}, "")
	for _, m := range []string{"sw/v1/.cvmfscatalog\t", "sw/v2/.cvmfscatalog\t"} {
		if !strings.Contains(got, m) {
			t.Fatalf("marker %q missing from\n%s", m, got)
		}
	}
	if strings.Contains(got, "sw/skip/.cvmfscatalog") {
		t.Fatal("negative rule ignored")
	}
	if res := f.publish(""); res.Stats.CatalogsReused != 2 {
		t.Fatalf("republish reused %d nested catalogs, want 2", res.Stats.CatalogsReused)
	}
}

// TestSameSecondRewrite: a file rewritten with the same size within the
// same second is still republished (nanosecond mtimes).
func TestSameSecondRewrite(t *testing.T) {
	f := newFixture(t)
	p := filepath.Join(f.src, "f")
	f.write("f", []byte("AAAA"))
	ts := time.Unix(1700000000, 100)
	must(t, os.Chtimes(p, ts, ts))
	f.publish("")
	f.write("f", []byte("BBBB"))
	ts2 := time.Unix(1700000000, 900)
	must(t, os.Chtimes(p, ts2, ts2))
	f.publish("")
	assertSame(t, "listing after a same-second rewrite", dirListing(t, f.src), f.listing(reader.DirSource{Dir: f.storage}, ""))
}
