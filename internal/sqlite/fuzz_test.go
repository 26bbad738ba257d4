package sqlite

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ucvm/ucvm/internal/testutil"
)

// fixtureDatabases returns the inflated catalogs (C) and history databases
// (H) of the CernVM-FS fixture repository.
func fixtureDatabases(t testing.TB) [][]byte {
	var out [][]byte
	for _, f := range testutil.FixtureObjects(t, "*[CH]") {
		out = append(out, testutil.Inflate(t, f))
	}
	return out
}

// exercise runs every read path over db; it must never panic or hang.
func exercise(db *DB) {
	for _, t := range db.tables {
		n := 0
		t.Scan(func(r *Row) error {
			for i := range t.Columns {
				_ = r.Column(i).String()
			}
			if n++; n > 5000 {
				return io.EOF
			}
			return nil
		})
		t.MaxRowid()
		t.Get(1, func(*Row) error { return nil })
		for _, ix := range t.Indexes {
			ix.Seek(IntValue(0))
			ix.Seek(TextValue("schema"))
		}
	}
}

func FuzzOpen(f *testing.F) {
	for _, d := range fixtureDatabases(f) {
		f.Add(d)
	}
	small, err := os.ReadFile(makeDB(f, 512, `CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b)`,
		`CREATE INDEX ia ON t (a)`, `INSERT INTO t VALUES (1, 'x', randomblob(900))`, `INSERT INTO t VALUES (2, 'y', 2.5)`))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	if reserved, err := os.ReadFile("testdata/reserved32.db"); err == nil {
		f.Add(reserved)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := openData("fuzz.db", data, false)
		if err != nil {
			return
		}
		exercise(db)
		db.Close()
	})
}

func TestFixtureDatabases(t *testing.T) {
	dbs := fixtureDatabases(t)
	if len(dbs) < 10 {
		t.Skipf("fixture repository not available (%d databases)", len(dbs))
	}
	for i, d := range dbs {
		p := filepath.Join(t.TempDir(), "f.db")
		if err := os.WriteFile(p, d, 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(p)
		if err != nil {
			t.Fatalf("fixture %d: %v", i, err)
		}
		for name := range db.tables {
			sameRows(t, p, name)
		}
		db.Close()
	}
}
