package catalog_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/catalog/catwrite"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/testutil"
)

// fixtureCatalogs inflates every catalog (C object) of the fixture
// repository: all revisions and tags, root and nested catalogs.
func fixtureCatalogs(t testing.TB) []string {
	var out []string
	for _, f := range testutil.FixtureObjects(t, "*C") {
		out = append(out, testutil.InflateToFile(t, f))
	}
	return out
}

func TestConformanceFixture(t *testing.T) {
	for _, p := range fixtureCatalogs(t) {
		t.Run(filepath.Base(p), func(t *testing.T) {
			if n := conform(t, p); n < 1 {
				t.Fatalf("walked %d entries", n)
			}
		})
	}
}

func TestConformanceWritten(t *testing.T) {
	p := writeBig(t, t.TempDir(), 20000)
	if n := conform(t, p); n < 20000 {
		t.Fatalf("walked %d entries, want >= 20000", n)
	}
}

func TestConformanceMigrated(t *testing.T) {
	if n := conform(t, writeMigrated(t)); n != 7 {
		t.Fatalf("walked %d entries, want 7", n)
	}
}

// conform checks every read query of the catalog at p through both readers
// and returns the number of entries walked from the catalog's root.
func conform(t *testing.T, p string) int {
	t.Helper()
	ref, err := refOpen(p)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	c, err := catalog.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	same(t, "props", c.Props, ref.Props)
	same(t, "schema", []any{c.Schema, c.Revision, c.RootPrefix}, []any{ref.Schema, ref.Revision, ref.RootPrefix})
	same(t, "PropInt", c.PropInt("revision", -5), ref.PropInt("revision", -5))
	same(t, "catalog-wide queries", wide(c), wide(ref))
	if _, err := c.Lookup("/no/such/path"); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("missing path: %v", err)
	}
	return walk(t, c, ref, c.RootPrefix)
}

// wideQueries are the queries about a whole catalog.
type wideQueries interface {
	Nested() ([]catalog.NestedRef, error)
	NestedOnly() ([]catalog.NestedRef, error)
	Counters() (map[string]int64, error)
	MaxRowID() (int64, error)
	Objects() ([]catalog.ObjectRef, error)
}

func wide(x wideQueries) []any {
	n, err1 := x.Nested()
	o, err2 := x.NestedOnly()
	cnt, err3 := x.Counters()
	m, err4 := x.MaxRowID()
	objs, err5 := x.Objects()
	sort.Slice(objs, func(i, j int) bool {
		return objs[i].Hash.String()+string(objs[i].Suffix) < objs[j].Hash.String()+string(objs[j].Suffix)
	})
	return []any{n, o, cnt, m, objs, errors.Join(err1, err2, err3, err4, err5)}
}

// walk compares Lookup, Xattrs, Chunks and List of path and below.
func walk(t *testing.T, c *catalog.Catalog, ref *refCatalog, path string) int {
	e, err := c.Lookup(path)
	r, rerr := ref.Lookup(path)
	same(t, "lookup "+path, []any{e, err == nil}, []any{r, rerr == nil})
	if err != nil {
		return 0
	}
	x, err := c.Xattrs(e)
	rx, rerr := ref.Xattrs(r)
	same(t, "xattrs "+path, []any{x, err}, []any{rx, rerr})
	if e.IsChunked() {
		ch, err := c.Chunks(e)
		rch, rerr := ref.Chunks(r)
		same(t, "chunks "+path, []any{ch, err}, []any{rch, rerr})
		if len(ch) == 0 {
			t.Fatalf("chunked %s without chunks", path)
		}
	}
	n := 1
	if !e.IsDir() {
		return n
	}
	list, err := c.List(path)
	rlist, rerr := ref.List(path)
	same(t, "list "+path, []any{list, err}, []any{rlist, rerr})
	for _, ch := range list {
		n += walk(t, c, ref, ch.Path)
	}
	return n
}

func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

// writeBig writes a catalog with n entries into dir through catwrite: a deep and a
// wide directory (multi-level b-trees), chunked files, xattrs and symlinks
// large enough to spill into overflow pages, nested catalog references.
func writeBig(t testing.TB, into string, n int) string {
	t.Helper()
	p := filepath.Join(into, "big.db")
	w, err := catwrite.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	dir := func(path string) *catalog.Entry {
		return &catalog.Entry{Path: path, Name: filepath.Base(path), Mode: catalog.ModeDir | 0o755, Size: 4096,
			Flags: catalog.FlagDir, Hardlinks: 2, Mtime: 1700000000, MtimeNs: -1}
	}
	root := dir("")
	root.Name = ""
	add := func(e *catalog.Entry, x map[string][]byte) {
		if err := w.Add(e, x, e.Path == ""); err != nil {
			t.Fatal(err)
		}
	}
	add(root, nil)
	dirs := []string{""}
	for i := 0; len(dirs) < 60; i++ {
		d := fmt.Sprintf("%s/d%d", dirs[i/3], i)
		add(dir(d), nil)
		dirs = append(dirs, d)
	}
	add(dir("/wide"), nil)
	for i := 0; i < n; i++ {
		parent := dirs[i%len(dirs)]
		if i%2 == 0 {
			parent = "/wide"
		}
		name := fmt.Sprintf("f%06d-%s", i, strings.Repeat("x", i%40))
		e := &catalog.Entry{Path: parent + "/" + name, Name: name, Mode: catalog.ModeRegular | 0o644, Size: int64(i * 37),
			Flags: catalog.FlagFile, Hardlinks: 1, Mtime: 1700000000 + int64(i), MtimeNs: int32(i % 1000),
			UID: uint32(i % 7), GID: uint32(i % 5), Hash: hash.Sum(hash.SHA1, []byte(name))}
		var x map[string][]byte
		switch i % 101 {
		case 1:
			x = map[string][]byte{"user.small": []byte("s")}
			for k := 0; k < 10+i%40; k++ { // up to ~12 KiB: overflow pages
				x[fmt.Sprintf("user.big%02d", k)] = bytes.Repeat([]byte{byte(i + k)}, 255)
			}
		case 2:
			e.Mode, e.Flags, e.Hash = catalog.ModeSymlink|0o777, catalog.FlagFile|catalog.FlagLink, hash.Hash{}
			e.Symlink = strings.Repeat("/long/target", 100+i%700)
			e.Size = int64(len(e.Symlink))
		case 3:
			e.Flags |= catalog.FlagFileChunk
			var chunks []catalog.Chunk
			for k := 0; k < 1+i%40; k++ {
				chunks = append(chunks, catalog.Chunk{Offset: int64(k) << 20, Size: 1 << 20, Hash: hash.Sum(hash.SHA1, []byte(fmt.Sprint(name, k)))})
			}
			add(e, nil)
			if err := w.AddChunks(e.Path, chunks); err != nil {
				t.Fatal(err)
			}
			continue
		case 4:
			e.MtimeNs = -1
		}
		add(e, x)
	}
	for i := 0; i < 30; i++ {
		if err := w.AddNested(catalog.NestedRef{Path: fmt.Sprintf("/nested%d", i), Hash: hash.Sum(hash.SHA1, []byte{byte(i)}), Size: int64(i * 1000)}); err != nil {
			t.Fatal(err)
		}
	}
	for k, v := range map[string]string{"schema": catalog.SchemaVersion, "schema_revision": "7", "revision": "42", "root_prefix": ""} {
		if err := w.SetProperty(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.SetCounters(catalog.Counters{"regular": int64(n)}, catalog.Counters{"regular": int64(n), "dir": 61}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeMigrated builds a catalog the way an old server did (schema
// revision 1: no xattr, no mtimens columns) and migrates it the way
// cvmfs_server does (ALTER TABLE ADD COLUMN), so that old rows are shorter
// than the table.
func writeMigrated(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	row := func(path string, mode, flags int, extra string) string {
		p1, p2 := hash.PathMD5(path)
		q1, q2 := hash.PathMD5(filepath.Dir(path))
		if path == "" {
			q1, q2 = 0, 0
		} else if filepath.Dir(path) == "/" {
			q1, q2 = hash.PathMD5("")
		}
		return fmt.Sprintf("INSERT INTO catalog VALUES (%d, %d, %d, %d, 1, X'%s', 10, %d, 1600000000, %d, '%s', '', 0, 0%s)",
			p1, p2, q1, q2, strings.Repeat("ab", 20), mode, flags, filepath.Base(path), extra)
	}
	stmts := []string{
		`CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key))`,
		`CREATE TABLE catalog (md5path_1 INTEGER, md5path_2 INTEGER, parent_1 INTEGER, parent_2 INTEGER, hardlinks INTEGER, hash BLOB, size INTEGER, mode INTEGER, mtime INTEGER, flags INTEGER, name TEXT, symlink TEXT, uid INTEGER, gid INTEGER, CONSTRAINT pk_catalog PRIMARY KEY (md5path_1, md5path_2))`,
		`CREATE INDEX idx_catalog_parent ON catalog (parent_1, parent_2)`,
		`CREATE TABLE chunks (md5path_1 INTEGER, md5path_2 INTEGER, offset INTEGER, size INTEGER, hash BLOB, CONSTRAINT pk_chunks PRIMARY KEY (md5path_1, md5path_2, offset, size))`,
		`CREATE TABLE nested_catalogs (path TEXT, sha1 TEXT, size INTEGER, CONSTRAINT pk_nested_catalogs PRIMARY KEY (path))`,
		`CREATE TABLE statistics (counter TEXT, value INTEGER, CONSTRAINT pk_statistics PRIMARY KEY (counter))`,
		`INSERT INTO properties VALUES ('schema', '2.5'), ('schema_revision', 1), ('revision', 9)`,
		row("", 0o40755, 1, ""), row("/a", 0o100644, 4, ""), row("/b", 0o40755, 1, ""), row("/b/c", 0o100644, 4, ""),
		`ALTER TABLE catalog ADD xattr BLOB`,
		`ALTER TABLE catalog ADD mtimens INTEGER`,
		`CREATE TABLE bind_mountpoints (path TEXT, sha1 TEXT, size INTEGER, CONSTRAINT pk_bind_mountpoints PRIMARY KEY (path))`,
		`UPDATE properties SET value = '7' WHERE key = 'schema_revision'`,
		row("/x", 0o100644, 4, ", X'0102', 5"), row("/b/y", 0o100644, 4, ", NULL, 999"), row("/b/z", 0o100644, 4, ", NULL, NULL"),
		`INSERT INTO nested_catalogs VALUES ('/b', '` + strings.Repeat("cd", 20) + `', 77)`,
		`INSERT INTO bind_mountpoints VALUES ('/bind', '` + strings.Repeat("ef", 20) + `', 5)`,
		`INSERT INTO statistics VALUES ('self_regular', 4)`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return p
}
