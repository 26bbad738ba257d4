package bootpack

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/overlay"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/testutil"
)

var jsonMarshal = json.Marshal

// memSource is an in-memory tree (Source) for building packs in tests.
type memSource struct {
	nodes   map[string]*reader.Node
	content map[string]string
	cats    map[string]string // nested catalogs: mount point -> database file (the root catalog is memCatalog, no file)
}

func newMemSource() *memSource {
	return &memSource{nodes: map[string]*reader.Node{"/os": {Entry: catalog.Entry{Path: "/os", Mode: catalog.ModeDir | 0o755}}}, content: map[string]string{}}
}

func (m *memSource) dirs(p string) {
	for d := path.Dir(p); m.nodes[d] == nil; d = path.Dir(d) {
		m.nodes[d] = &reader.Node{Entry: catalog.Entry{Path: d, Name: path.Base(d), Mode: catalog.ModeDir | 0o755, Mtime: 1_600_000_000}}
	}
}

func (m *memSource) file(p, content string) {
	m.dirs(p)
	m.nodes[p] = &reader.Node{Entry: catalog.Entry{Path: p, Name: path.Base(p), Mode: catalog.ModeRegular | 0o644,
		Size: int64(len(content)), Mtime: 1_700_000_000, MtimeNs: 123456789, UID: 12, GID: 34, Hash: hash.Sum(hash.SHA1, []byte(content))}}
	m.content[p] = content
}

func (m *memSource) link(p, target string) {
	m.dirs(p)
	m.nodes[p] = &reader.Node{Entry: catalog.Entry{Path: p, Name: path.Base(p), Mode: catalog.ModeSymlink | 0o777, Symlink: target}}
}

func (m *memSource) Lookup(_ context.Context, p string) (*reader.Node, error) {
	if n := m.nodes[p]; n != nil {
		return n, nil
	}
	return nil, reader.ErrNotFound
}

func (m *memSource) ReadDir(_ context.Context, dir string) ([]*reader.Node, error) {
	var out []*reader.Node
	for p, n := range m.nodes {
		if path.Dir(p) == dir && p != dir {
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

type memFile struct{ *strings.Reader }

func (memFile) Close() error { return nil }

func (m *memSource) Open(_ context.Context, n *reader.Node) (reader.File, error) {
	return memFile{strings.NewReader(m.content[n.Path])}, nil
}

func (m *memSource) Chunks(context.Context, *reader.Node) ([]catalog.Chunk, error) { return nil, nil }

// The tree is one catalog, the root catalog.
const memCatalog = "0123456789abcdef0123456789abcdef01234567"

func (m *memSource) CatalogOf(n *reader.Node) (string, string) {
	mount := m.catalogFor(n.Path)
	h, _ := m.CatalogHash(context.Background(), mount)
	return mount, h
}

// catalogFor: the deepest nested catalog strictly above p, else the root.
func (m *memSource) catalogFor(p string) string {
	best := ""
	for mount := range m.cats {
		if strings.HasPrefix(p, mount+"/") && len(mount) > len(best) {
			best = mount
		}
	}
	return best
}

func (m *memSource) CatalogFor(_ context.Context, p string) (string, error) {
	return m.catalogFor(p), nil
}

func (m *memSource) CatalogHash(_ context.Context, mount string) (string, error) {
	if mount == "" {
		return memCatalog, nil
	}
	if m.cats[mount] == "" {
		return "", reader.ErrNotFound
	}
	return hash.Sum(hash.SHA1, []byte(mount)).String(), nil
}

func (m *memSource) CatalogFile(ctx context.Context, mount string) (hash.Hash, string, error) {
	s, err := m.CatalogHash(ctx, mount)
	if err != nil || mount == "" {
		return hash.Hash{}, "", fmt.Errorf("catalog %q has no file here (%v)", mount, err)
	}
	h, err := hash.Parse(s)
	return h, m.cats[mount], err
}

// TestBuildRead: the manifest lists the files, the symlinks that lead to
// them (a chain of two) and the directories above them, with the
// revision's attributes; missing paths and directories are skipped.
func TestBuildRead(t *testing.T) {
	needMkfs(t)
	src := newMemSource()
	src.file("/os/usr/lib/libx.so.1.2", strings.Repeat("lib", 1000))
	src.link("/os/usr/lib/libx.so.1", "libx.so.1.2")
	src.link("/os/usr/lib/libx.so", "libx.so.1")
	src.link("/os/usr/lib/other", "/elsewhere")
	src.file("/os/etc/conf", "key=value\n")
	src.nodes["/os/etc/conf"].Mode = catalog.ModeRegular | 0o4751
	var buf bytes.Buffer
	st, err := Build(context.Background(), src, "os", []string{"etc/conf", "usr/lib/libx.so.1.2", "etc/missing", "/etc/conf", "usr"}, &buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 2 || st.Symlinks != 2 || st.Dirs != 4 || len(st.Skipped) != 2 || st.Bytes != 3010 {
		t.Fatalf("stats %+v", st)
	}
	m, image := readPack(t, buf.Bytes())
	var got []string
	for _, e := range m.Entries {
		got = append(got, e.Path+":"+e.Type+e.Target)
	}
	want := ".:dir etc:dir etc/conf:file usr:dir usr/lib:dir usr/lib/libx.so:symlinklibx.so.1 usr/lib/libx.so.1:symlinklibx.so.1.2 usr/lib/libx.so.1.2:file"
	if strings.Join(got, " ") != want {
		t.Fatalf("entries %q\nwant    %q", strings.Join(got, " "), want)
	}
	conf := m.Entries[2]
	if conf.Mode != 0o4751 || conf.UID != 12 || conf.GID != 34 || conf.Mtime != 1_700_000_000 || conf.MtimeNs != 123456789 ||
		conf.ID != src.nodes["/os/etc/conf"].Hash.String() || conf.Size != 10 {
		t.Fatalf("etc/conf entry %+v", conf)
	}
	if err := CheckImage(image); err != nil || int64(len(image)) != st.ImageBytes {
		t.Fatalf("image: %v (%d bytes, stats %d)", err, len(image), st.ImageBytes)
	}
	checkMounted(t, image, m, src)
}

// TestBuildProfile: a complete directory's whole subtree is in the image,
// opaque; a missing name gets a whiteout unless it exists or is below a
// complete directory; a directory with an entry the image cannot hold is
// not made complete.
func TestBuildProfile(t *testing.T) {
	needMkfs(t)
	src := newMemSource()
	src.file("/os/etc/a", "a\n")
	src.file("/os/etc/sub/b", "b\n")
	src.link("/os/etc/sub/l", "b")
	src.file("/os/usr/bin/tool", "tool")
	src.file("/os/var/x", "x")
	src.nodes["/os/var/x"].HasXattrs = true
	var buf bytes.Buffer
	list := []string{"etc/", "usr/bin/tool", "!usr/bin/none", "!etc/gone", "!usr/bin/tool", "var/"}
	st, err := Build(context.Background(), src, "os", list, &buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 3 || st.Symlinks != 1 || st.Whiteouts != 1 || st.Opaque != 1 || strings.Join(st.Skipped, " ") != "var/ !usr/bin/tool" {
		t.Fatalf("stats %+v", st)
	}
	m, image := readPack(t, buf.Bytes())
	var got []string
	for _, e := range m.Entries {
		got = append(got, fmt.Sprintf("%s:%s%v", e.Path, e.Type, map[bool]string{true: "+opaque"}[e.Opaque]))
	}
	want := ".:dir etc:dir+opaque etc/a:file etc/sub:dir etc/sub/b:file etc/sub/l:symlink usr:dir usr/bin:dir usr/bin/none:whiteout usr/bin/tool:file"
	if strings.Join(got, " ") != want {
		t.Fatalf("entries %q\nwant    %q", strings.Join(got, " "), want)
	}
	checkMounted(t, image, m, src)
}

// readPack splits a pack into its manifest and image.
func readPack(t *testing.T, pack []byte) (Manifest, []byte) {
	t.Helper()
	r := bytes.NewReader(pack)
	m, err := ReadHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	return m, pack[len(pack)-r.Len():]
}

// checkMounted mounts the image (as root, with the kernel's erofs) and
// compares every object with the manifest and the source.
func checkMounted(t *testing.T, image []byte, m Manifest, src *memSource) {
	if os.Geteuid() != 0 {
		t.Log("not root: the image is not mounted")
		return
	}
	dir := t.TempDir()
	img, mnt := filepath.Join(dir, ImageName), filepath.Join(dir, "mnt")
	os.WriteFile(img, image, 0o644)
	os.Mkdir(mnt, 0o755)
	testutil.RequireFilesystem(t, ImageType)
	if out, err := exec.Command("mount", "-o", "loop,ro", "-t", "erofs", img, mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount the image: %v %s", err, out)
	}
	defer exec.Command("umount", mnt).Run()
	for _, e := range m.Entries {
		var st unix.Stat_t
		p := filepath.Join(mnt, e.Path)
		if err := unix.Lstat(p, &st); err != nil {
			t.Fatal(err)
		}
		if e.Type != TypeSymlink && st.Mode&0o7777 != e.Mode || st.Uid != e.UID || st.Gid != e.GID ||
			st.Mtim.Sec != e.Mtime || st.Mtim.Nsec != int64(e.MtimeNs) {
			t.Errorf("%s: mode %o %d:%d %d.%d, manifest %+v", e.Path, st.Mode, st.Uid, st.Gid, st.Mtim.Sec, st.Mtim.Nsec, e)
		}
		if e.Type == TypeDir {
			if got := overlay.IsOpaque(p); got != e.Opaque {
				t.Errorf("%s: opaque %v in the image, %v in the manifest", e.Path, got, e.Opaque)
			}
		}
		switch e.Type {
		case TypeWhiteout:
			if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
				t.Errorf("%s: not a whiteout: mode %o rdev %d", e.Path, st.Mode, st.Rdev)
			}
		case TypeFile:
			b, _ := os.ReadFile(p)
			if string(b) != src.content["/os/"+e.Path] {
				t.Errorf("%s: content differs", e.Path)
			}
		case TypeSymlink:
			if l, _ := os.Readlink(p); l != e.Target {
				t.Errorf("%s: target %q", e.Path, l)
			}
		}
	}
}

func needMkfs(t testing.TB) {
	if _, err := exec.LookPath(MkfsTool); err != nil {
		t.Skip(ErrNoMkfs)
	}
}

// TestIdentity: chunked files are identified by their chunk list.
func TestIdentity(t *testing.T) {
	h := hash.Sum(hash.SHA1, []byte("a"))
	if Identity(h, nil) != h.String() {
		t.Fatal("whole file identity is not the hash")
	}
	c1 := []catalog.Chunk{{Offset: 0, Size: 1, Hash: h}}
	c2 := []catalog.Chunk{{Offset: 0, Size: 2, Hash: h}}
	if a, b := Identity(hash.Hash{}, c1), Identity(hash.Hash{}, c2); a == b || !strings.HasPrefix(a, "chunks:") {
		t.Fatalf("chunk identities %s %s", a, b)
	}
}

// TestRefused: names that leave the OS root, trees with holes and foreign
// headers are errors that say what is wrong.
func TestRefused(t *testing.T) {
	for _, name := range []string{"../etc/passwd", "/etc/passwd", "a/../../b", "a//b", "./a", ""} {
		if err := checkName(name); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	root := Entry{Path: ".", Type: TypeDir, Mode: 0o755}
	file := Entry{Path: "a", Type: TypeFile, Size: 1, ID: "x", Mode: 0o644}
	for name, c := range map[string]struct {
		m    Manifest
		want string
	}{
		"no root":        {Manifest{Image: ImageType, Entries: []Entry{file}}, "root directory"},
		"parent missing": {Manifest{Image: ImageType, Entries: []Entry{root, {Path: "d/a", Type: TypeFile, ID: "x"}}}, "not listed before"},
		"parent a file":  {Manifest{Image: ImageType, Entries: []Entry{root, file, {Path: "a/b", Type: TypeFile, ID: "x"}}}, "not listed before"},
		"twice":          {Manifest{Image: ImageType, Entries: []Entry{root, file, file}}, "listed twice"},
		"escape":         {Manifest{Image: ImageType, Entries: []Entry{root, {Path: "../a", Type: TypeFile, ID: "x"}}}, "clean relative"},
		"device":         {Manifest{Image: ImageType, Entries: []Entry{root, {Path: "a", Type: "char"}}}, "only dir, file, symlink and whiteout"},
		"opaque file":    {Manifest{Image: ImageType, Entries: []Entry{root, {Path: "a", Type: TypeFile, ID: "x", Opaque: true}}}, "only a directory"},
		"opaque root":    {Manifest{Image: ImageType, Entries: []Entry{{Path: ".", Type: TypeDir, Opaque: true}}}, "only a directory below"},
		"whiteout data":  {Manifest{Image: ImageType, Entries: []Entry{root, {Path: "a", Type: TypeWhiteout, Size: 3}}}, "a whiteout with"},
		"no identity":    {Manifest{Image: ImageType, Entries: []Entry{root, {Path: "a", Type: TypeFile}}}, "no content identity"},
		"mode bits":      {Manifest{Image: ImageType, Entries: []Entry{root, {Path: "a", Type: TypeFile, ID: "x", Mode: 0o100644}}}, "out of range"},
		"squashfs":       {Manifest{Image: "squashfs", Entries: []Entry{root}}, "image type"},
	} {
		var buf bytes.Buffer
		if err := WriteHeader(&buf, c.m); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: write: %v", name, err)
		}
		buf.Reset()
		raw := rawHeader(t, c.m)
		if _, err := ReadHeader(bytes.NewReader(raw)); !errors.Is(err, ErrBadPack) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: read: %v", name, err)
		}
	}
	if _, err := ReadHeader(strings.NewReader("\x28\xb5\x2f\xfd old zstd pack.....")); !errors.Is(err, ErrBadPack) || !strings.Contains(err.Error(), "rebuild") {
		t.Errorf("version 1 pack: %v", err)
	}
	if err := CheckImage(make([]byte, ImageHeadSize)); !errors.Is(err, ErrBadPack) {
		t.Errorf("zero image: %v", err)
	}
}

// rawHeader encodes a manifest without validating it.
func rawHeader(t *testing.T, m Manifest) []byte {
	js, err := jsonMarshal(m)
	if err != nil {
		t.Fatal(err)
	}
	b := append([]byte(Magic), 0, 0, 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[len(Magic):], Version)
	binary.LittleEndian.PutUint32(b[len(Magic)+4:], uint32(len(js)))
	return append(b, js...)
}

// FuzzReadHeader: no input makes the reader panic or accept a manifest
// that is not a tree of clean relative paths.
func FuzzReadHeader(f *testing.F) {
	root := Entry{Path: ".", Type: TypeDir, Mode: 0o755, Mtime: time.Now().Unix()}
	good := Manifest{Image: ImageType, Entries: []Entry{root, {Path: "a", Type: TypeDir},
		{Path: "a/b", Type: TypeFile, Size: 3, ID: "x"}, {Path: "c", Type: TypeSymlink, Target: "a/b"}}}
	var buf bytes.Buffer
	if err := WriteHeader(&buf, good); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	db := []byte("SQLite format 3\x00 a catalog")
	sec, err := compressCarried([][]byte{db})
	if err != nil {
		f.Fatal(err)
	}
	good.Carried, good.section = []CarriedCatalog{{Mount: "/os/usr", Hash: memCatalog, Bytes: int64(len(db))}}, sec
	buf.Reset()
	if err := WriteHeader(&buf, good); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(Magic + "\x02\x00\x00\x00\xff\xff\xff\x7f"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadHeader(bytes.NewReader(data))
		if err != nil {
			return
		}
		for i, e := range m.Entries {
			if i > 0 && checkName(e.Path) != nil {
				t.Fatalf("accepted name %q", e.Path)
			}
		}
		_ = m.ReadCarried(func(_ CarriedCatalog, db io.Reader) error {
			_, err := io.Copy(io.Discard, db)
			return err
		})
	})
}

// TestCarried: a pack carries the catalogs below its own (here /os/usr/lib
// with its entries and /os/usr above it), not the root catalog or /os,
// which hold the pack's row; ReadCarried hands out their databases and
// refuses a section that does not decode to the listed sizes.
func TestCarried(t *testing.T) {
	needMkfs(t)
	src := newMemSource()
	dir := t.TempDir()
	src.cats = map[string]string{}
	for _, mount := range []string{"/os", "/os/usr", "/os/usr/lib", "/os/opt"} {
		f := filepath.Join(dir, strings.ReplaceAll(mount, "/", "_"))
		if err := os.WriteFile(f, []byte("SQLite format 3\x00"+strings.Repeat(mount, 500)), 0o644); err != nil {
			t.Fatal(err)
		}
		src.cats[mount] = f
	}
	src.file("/os/usr/lib/libx.so", "library")
	src.file("/os/etc/conf", "key=value\n")
	var buf bytes.Buffer
	st, err := Build(context.Background(), src, "/os", []string{"usr/lib/libx.so", "etc/conf"}, &buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := readPack(t, buf.Bytes())
	var got []string
	err = m.ReadCarried(func(c CarriedCatalog, db io.Reader) error {
		b, _ := io.ReadAll(db)
		want, _ := os.ReadFile(src.cats[c.Mount])
		if !bytes.Equal(b, want) || c.Bytes != int64(len(want)) {
			t.Errorf("catalog %s: %d bytes, want its %d", c.Mount, len(b), len(want))
		}
		if h, _ := src.CatalogHash(context.Background(), c.Mount); h != c.Hash {
			t.Errorf("catalog %s: hash %s, want %s", c.Mount, c.Hash, h)
		}
		got = append(got, c.Mount)
		return nil
	})
	if err != nil || strings.Join(got, " ") != "/os/usr /os/usr/lib" || st.Carried != 2 {
		t.Fatalf("carried %q (stats %d), %v", got, st.Carried, err)
	}
	// fn may read less: the rest is skipped
	if err := m.ReadCarried(func(CarriedCatalog, io.Reader) error { return nil }); err != nil {
		t.Fatal(err)
	}
	bad := m
	bad.Carried = append([]CarriedCatalog(nil), m.Carried...)
	bad.Carried[1].Bytes++
	if err := bad.ReadCarried(func(CarriedCatalog, io.Reader) error { return nil }); !errors.Is(err, ErrBadPack) || !strings.Contains(err.Error(), "short") {
		t.Fatalf("a size one byte too large: %v", err)
	}
	bad.Carried[1].Bytes -= 2
	if err := bad.ReadCarried(func(CarriedCatalog, io.Reader) error { return nil }); !errors.Is(err, ErrBadPack) || !strings.Contains(err.Error(), "data after") {
		t.Fatalf("a size one byte too small: %v", err)
	}
	bad.Carried[1].Bytes++
	bad.section = append([]byte(nil), m.section...)
	bad.section[len(bad.section)/2] ^= 0xff
	if err := bad.ReadCarried(func(CarriedCatalog, io.Reader) error { return nil }); !errors.Is(err, ErrBadPack) {
		t.Fatalf("a damaged section: %v", err)
	}
	// the section limit is enforced before reading it
	raw := buf.Bytes()[:headerSize+int(binary.LittleEndian.Uint32(buf.Bytes()[len(Magic)+4:]))]
	raw = binary.LittleEndian.AppendUint32(append([]byte(nil), raw...), MaxCarriedSection+1)
	if _, err := ReadHeader(bytes.NewReader(raw)); !errors.Is(err, ErrBadPack) || !strings.Contains(err.Error(), "limit") {
		t.Fatalf("huge section: %v", err)
	}
}
