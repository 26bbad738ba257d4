package history

import (
	"bytes"
	"compress/zlib"
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/testutil"
)

var (
	h1 = hash.MustParse("ed16a14386a493bb83e4c8dbd1f912b213fe1e5a")
	h2 = hash.MustParse("802ee2dcab0dd18d133eff1622e0ff614d037859")
	h3 = hash.MustParse("c26efde62f294232bb7104e33f33001df20de66e")
)

func fixtureDir() string {
	return filepath.Join(testutil.RepoRoot(), "..", "shared", "fixtures", "cvmfs", "test.repo.local")
}

// inflateObject writes the inflated fixture object to a temp file.
func inflateObject(t *testing.T, h hash.Hash, suffix byte) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir(), h.ObjectPath(suffix)))
	if err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "db")
	if err := os.WriteFile(p, plain, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// fixtureHistory returns the H hash of the fixture manifest.
func fixtureHistory(t *testing.T) hash.Hash {
	t.Helper()
	m, err := os.ReadFile(filepath.Join(fixtureDir(), ".cvmfspublished"))
	if err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	for _, line := range strings.Split(string(m), "\n") {
		if line == "--" {
			break
		}
		if strings.HasPrefix(line, "H") {
			return hash.MustParse(line[1:])
		}
	}
	t.Fatal("fixture manifest has no H line")
	return hash.Hash{}
}

func schemaSQL(t *testing.T, path string) map[string]string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var n, s string
		if err := rows.Scan(&n, &s); err != nil {
			t.Fatal(err)
		}
		out[n] = s
	}
	return out
}

// checkRollbackJournal checks the SQLite header: write/read version 1 =
// legacy rollback journal, and no side files.
func checkRollbackJournal(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 100 || string(b[:16]) != "SQLite format 3\x00" || b[18] != 1 || b[19] != 1 {
		t.Fatalf("%s: not a rollback-journal SQLite file (header %x)", path, b[:20])
	}
	for _, side := range []string{"-journal", "-wal", "-shm"} {
		if _, err := os.Stat(path + side); err == nil {
			t.Fatalf("%s%s left behind", path, side)
		}
	}
}

func TestFixtureHistory(t *testing.T) {
	p := inflateObject(t, fixtureHistory(t), hash.SuffixHistory)
	h, err := OpenReadOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.FQRN() != "test.repo.local" || h.SchemaRevision() != 3 {
		t.Fatalf("fqrn %q rev %d", h.FQRN(), h.SchemaRevision())
	}
	prev, err := h.PreviousRevision()
	if err != nil || prev.String() != "3c4bb3c9ba525b842c75c86eef77cb0952e19b29" {
		t.Fatalf("previous_revision %v %v", prev, err)
	}
	tags, err := h.List()
	if err != nil {
		t.Fatal(err)
	}
	// From MANIFEST.txt (cvmfs_server tag -l -x).
	want := map[string]string{
		"v3":                           "333600a63c242a5ad92a7b86973a2a96c8eb4a65 73728 4 1795337553 third revision: hardlink groups via the aufs sync handler",
		"trunk":                        "333600a63c242a5ad92a7b86973a2a96c8eb4a65 73728 4 1795337553 current HEAD",
		"v2":                           "c26efde62f294232bb7104e33f33001df20de66e 72704 3 1795337493 second revision: modify/delete/add",
		"trunk-previous":               "c26efde62f294232bb7104e33f33001df20de66e 72704 3 1795337493 default undo target",
		"generic-2026-11-22T08:50:24Z": "802ee2dcab0dd18d133eff1622e0ff614d037859 71680 2 1795337426 ",
		"v1":                           "802ee2dcab0dd18d133eff1622e0ff614d037859 71680 2 1795337426 first content revision",
		"generic-2026-11-22T08:50:01Z": "ed16a14386a493bb83e4c8dbd1f912b213fe1e5a 16384 1 1795337401 ",
	}
	if len(tags) != len(want) {
		t.Fatalf("%d tags, want %d: %+v", len(tags), len(want), tags)
	}
	for _, tg := range tags {
		got := strings.Join([]string{tg.Hash.String(), itoa(tg.Size), itoa(int64(tg.Revision)), itoa(tg.Timestamp), tg.Description}, " ")
		if got != want[tg.Name] || tg.Branch != "" {
			t.Errorf("tag %s: %q branch %q, want %q", tg.Name, got, tg.Branch, want[tg.Name])
		}
	}
	if tags[0].Revision != 4 || tags[len(tags)-1].Revision != 1 {
		t.Errorf("List not newest first: %v ... %v", tags[0], tags[len(tags)-1])
	}
	tg, err := h.FindByDate(1795337500) // between v2 and v3
	if err != nil || tg.Revision != 3 {
		t.Fatalf("by date: %+v %v", tg, err)
	}
	if _, err := h.FindByDate(1795337400); !errors.Is(err, ErrNotFound) {
		t.Fatalf("date before first tag: %v", err)
	}
	if err := h.Delete("v1"); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("delete on read-only: %v", err)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestCreateMatchesRealDDL(t *testing.T) {
	real := inflateObject(t, fixtureHistory(t), hash.SuffixHistory)
	p := filepath.Join(t.TempDir(), "h.db")
	h, err := Create(p, "test.repo.local")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	checkRollbackJournal(t, p)
	got, want := schemaSQL(t, p), schemaSQL(t, real)
	for name, s := range want {
		if got[name] != s {
			t.Errorf("table %s:\n got %q\nwant %q", name, got[name], s)
		}
	}
	if len(got) != len(want) {
		t.Errorf("schema objects: got %d, real %d", len(got), len(want))
	}
}
