package histwrite

import (
	"database/sql"
	"os"
	"path/filepath"
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
	return testutil.InflateToFile(t, filepath.Join(testutil.FixtureRepo(t), h.ObjectPath(suffix)))
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
