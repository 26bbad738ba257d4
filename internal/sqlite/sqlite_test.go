package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // reference implementation for the comparisons
)

// makeDB creates a database with modernc running stmts (args per statement).
func makeDB(t testing.TB, pageSize int, stmts ...string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "t.db")
	db, err := sql.Open("sqlite", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(fmt.Sprintf("PRAGMA page_size=%d", pageSize)); err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return p
}

// refRows returns "SELECT rowid, *" through modernc, normalised like ours.
func refRows(t testing.TB, path, table string) [][]any {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT rowid, * FROM " + table + " ORDER BY rowid")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if s, ok := v.(string); ok {
				vals[i] = []byte(s)
			}
		}
		out = append(out, vals)
	}
	return out
}

func goValue(v Value) any {
	switch v.Kind {
	case Integer:
		return v.I
	case Float:
		return v.F
	case Text, Blob:
		return v.Bytes()
	}
	return nil
}

func ourRows(t testing.TB, path, table string) [][]any {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tb, err := db.Table(table)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]any
	err = tb.Scan(func(r *Row) error {
		row := []any{r.Rowid}
		for i := range tb.Columns {
			row = append(row, goValue(r.Column(i)))
		}
		out = append(out, row)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameRows(t *testing.T, path, table string) {
	t.Helper()
	want, got := refRows(t, path, table), ourRows(t, path, table)
	if len(want) != len(got) {
		t.Fatalf("%s: %d rows, want %d", table, len(got), len(want))
	}
	for i := range want {
		for j := range want[i] {
			w, g := want[i][j], got[i][j]
			if wb, ok := w.([]byte); ok && len(wb) == 0 {
				w = []byte{} // modernc returns empty blobs as []byte{}
			}
			if gb, ok := g.([]byte); ok && len(gb) == 0 {
				g = []byte{}
			}
			if !reflect.DeepEqual(w, g) {
				t.Fatalf("%s row %d col %d: got %#v, want %#v", table, i, j, g, w)
			}
		}
	}
}

func TestSerialTypesAndOverflow(t *testing.T) {
	for _, ps := range []int{512, 1024, 4096, 65536} {
		t.Run(fmt.Sprint(ps), func(t *testing.T) {
			stmts := []string{`CREATE TABLE t (id INTEGER PRIMARY KEY, a, b TEXT, c BLOB, d REAL)`}
			ints := []int64{0, 1, -1, 127, -128, 128, 32767, -32768, 1 << 23, -(1 << 23), 1 << 31, -(1 << 31),
				1 << 47, -(1 << 47), math.MaxInt64, math.MinInt64}
			for i, v := range ints {
				stmts = append(stmts, fmt.Sprintf(`INSERT INTO t (a, b, c, d) VALUES (%d, 'x%d', X'00ff', %g)`, v, i, float64(v)/3))
			}
			for _, n := range []int{0, 1, 100, ps - 40, ps - 35, ps, 3 * ps, 70000} {
				stmts = append(stmts, fmt.Sprintf(`INSERT INTO t (a, b, c) VALUES (NULL, '%s', randomblob(%d))`, strings.Repeat("é", n/2), n))
			}
			sameRows(t, makeDB(t, ps, stmts...), "t")
		})
	}
}

func TestAddColumnDefaults(t *testing.T) {
	p := makeDB(t, 1024,
		`CREATE TABLE t (a INTEGER, b TEXT)`,
		`INSERT INTO t VALUES (1, 'old')`,
		`ALTER TABLE t ADD COLUMN c INTEGER DEFAULT -7`,
		`ALTER TABLE t ADD COLUMN d TEXT DEFAULT 'it''s'`,
		`ALTER TABLE t ADD COLUMN e REAL DEFAULT (2.5)`,
		`ALTER TABLE t ADD COLUMN f BLOB DEFAULT X'CAFE'`,
		`ALTER TABLE t ADD COLUMN g`,
		`ALTER TABLE t ADD COLUMN h INTEGER DEFAULT +0x10`,
		`INSERT INTO t (a, b) VALUES (2, 'new')`,
		`INSERT INTO t VALUES (3, 'full', 1, 'x', 1.5, X'00', 'g', 9)`)
	sameRows(t, p, "t")
}

func TestIndexSeekMultiLevel(t *testing.T) {
	stmts := []string{`CREATE TABLE t (k1 INTEGER, k2 INTEGER, name TEXT, v BLOB, CONSTRAINT pk PRIMARY KEY (k1, k2))`,
		`CREATE INDEX by_name ON t (name)`, `BEGIN`}
	r := rand.New(rand.NewPCG(1, 2))
	type key struct{ k1, k2 int64 }
	var keys []key
	for i := 0; i < 20000; i++ {
		k := key{r.Int64() - math.MaxInt64/2, int64(i % 7)}
		if i%3 == 0 && i > 0 {
			k.k1 = keys[i-1].k1 // duplicates in the leading column
		}
		keys = append(keys, k)
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO t VALUES (%d, %d, 'n%d', randomblob(%d))`, k.k1, k.k2, i%500, i%300))
	}
	stmts = append(stmts, `COMMIT`)
	p := makeDB(t, 1024, stmts...)
	db, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tb, _ := db.Table("t")
	if tb.IndexOn("k1", "k2") == nil || tb.IndexOn("name") == nil || tb.IndexOn("k2") != nil {
		t.Fatalf("indexes: %+v", tb.Indexes)
	}
	ref, _ := sql.Open("sqlite", "file:"+p+"?mode=ro")
	defer ref.Close()
	for i := 0; i < len(keys); i += 97 {
		var want []int64
		rows, _ := ref.Query(`SELECT rowid FROM t WHERE k1 = ?`, keys[i].k1)
		for rows.Next() {
			var id int64
			rows.Scan(&id)
			want = append(want, id)
		}
		rows.Close()
		var got []int64
		if err := tb.Where([]string{"k1"}, []Value{IntValue(keys[i].k1)}, func(r *Row) error {
			got = append(got, r.Rowid)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("k1=%d: got %v want %v", keys[i].k1, got, want)
		}
		n := 0
		tb.Where([]string{"name"}, []Value{TextValue(fmt.Sprintf("n%d", i%500))}, func(r *Row) error { n++; return nil })
		if n != 40 {
			t.Fatalf("name n%d: %d rows, want 40", i%500, n)
		}
	}
	if max, ok, err := tb.MaxRowid(); err != nil || !ok || max != int64(len(keys)) {
		t.Fatalf("max rowid %d %v %v", max, ok, err)
	}
	if ok, err := tb.Get(12345, func(r *Row) error {
		if r.Column(0).I != keys[12344].k1 {
			t.Errorf("row 12345: %v", r.Column(0))
		}
		return nil
	}); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := tb.Get(999999, func(*Row) error { return nil }); ok || err != nil {
		t.Fatal(ok, err)
	}
}

func TestUnsupported(t *testing.T) {
	p := makeDB(t, 4096, `CREATE TABLE w (a TEXT PRIMARY KEY, b) WITHOUT ROWID`, `CREATE TABLE ok (a)`)
	db, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Table("w"); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("WITHOUT ROWID: %v", err)
	}
	if _, err := db.Table("nope"); !errors.Is(err, ErrNoTable) {
		t.Fatalf("missing table: %v", err)
	}
	db.Close()
	if _, err := db.Table("ok"); err != nil {
		t.Fatal(err)
	}
	tb, _ := db.Table("ok")
	if err := tb.Scan(func(*Row) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("scan after close: %v", err)
	}
}
