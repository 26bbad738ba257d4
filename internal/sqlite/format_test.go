package sqlite

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// testdata/reserved32.db was written by the sqlite3 shell with 1 KiB pages
// and 32 reserved bytes per page (.filectrl reserve_bytes 32): rows
// (i, "i:" + 37*i "x") for i = 1..40 and an index on the text, so payloads
// overflow in both the table and the index.
func TestReservedBytes(t *testing.T) {
	db, err := Open("testdata/reserved32.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.usable != 1024-32 {
		t.Fatalf("usable %d", db.usable)
	}
	tb, err := db.Table("t")
	if err != nil {
		t.Fatal(err)
	}
	want := func(i int64) string { return fmt.Sprintf("%d:%s", i, strings.Repeat("x", int(i)*37)) }
	n := int64(0)
	err = tb.Scan(func(r *Row) error {
		n++
		if r.Rowid != n || r.Column(0).I != n || r.Column(1).String() != want(n) {
			return fmt.Errorf("row %d: %d %.20q", n, r.Column(0).I, r.Column(1).String())
		}
		return nil
	})
	if err != nil || n != 40 {
		t.Fatalf("%d rows: %v", n, err)
	}
	for _, i := range []int64{1, 17, 40} {
		got := 0
		if err := tb.Where([]string{"b"}, []Value{TextValue(want(i))}, func(r *Row) error {
			got++
			if r.Rowid != i {
				t.Errorf("index seek %d found row %d", i, r.Rowid)
			}
			return nil
		}); err != nil || got != 1 {
			t.Fatalf("seek %d: %d rows, %v", i, got, err)
		}
	}
}

func TestRefusesWALWithData(t *testing.T) {
	p := filepath.Join(t.TempDir(), "w.db")
	db, err := sql.Open("sqlite", "file:"+p+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, s := range []string{`CREATE TABLE t (a)`, `INSERT INTO t VALUES (1)`} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	if st, err := os.Stat(p + "-wal"); err != nil || st.Size() == 0 {
		t.Skipf("no -wal file to test with: %v", err)
	}
	_, err = Open(p)
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "wal_checkpoint") {
		t.Fatalf("WAL with data: %v", err)
	}
	db.Close() // checkpoints and removes the -wal file
	r, err := Open(p)
	if err != nil {
		t.Fatalf("after checkpoint: %v", err)
	}
	r.Close()
}

func TestRefusesUTF16(t *testing.T) {
	p := makeDB(t, 4096, `PRAGMA encoding = 'UTF-16le'`, `CREATE TABLE t (a TEXT)`, `INSERT INTO t VALUES ('x')`)
	if _, err := Open(p); !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "UTF-16") {
		t.Fatalf("UTF-16: %v", err)
	}
}

// TestCorruptTrees patches a valid multi-level table b-tree: a child
// pointer out of range and a loop must both give ErrCorrupt, not a panic
// or a hang.
func TestCorruptTrees(t *testing.T) {
	stmts := []string{`CREATE TABLE t (a, b)`, `BEGIN`}
	for i := 0; i < 3000; i++ {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO t VALUES (%d, '%s')`, i, strings.Repeat("y", i%50)))
	}
	orig, err := os.ReadFile(makeDB(t, 512, append(stmts, `COMMIT`)...))
	if err != nil {
		t.Fatal(err)
	}
	db, err := openData("orig", orig, false)
	if err != nil {
		t.Fatal(err)
	}
	tb, _ := db.Table("t")
	root := tb.root
	off := int(root-1) * db.pageSize
	if orig[off] != interiorTable {
		t.Fatalf("root page type %d, want an interior page", orig[off])
	}
	for name, ptr := range map[string]uint32{"out of range": db.nPages + 5, "loop": root, "zero": 0} {
		bad := append([]byte{}, orig...)
		binary.BigEndian.PutUint32(bad[off+8:], ptr) // right-most child
		d, err := openData(name, bad, false)
		if err != nil {
			t.Fatal(err)
		}
		tb, _ := d.Table("t")
		err = tb.Scan(func(*Row) error { return nil })
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: scan gave %v", name, err)
		}
		if _, _, err := tb.MaxRowid(); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: max rowid gave %v", name, err)
		}
	}
	bad := append([]byte{}, orig...)
	binary.BigEndian.PutUint16(bad[off+12:], 1) // first cell pointer into the header
	d, _ := openData("cell", bad, false)
	tb, _ = d.Table("t")
	if err := tb.Scan(func(*Row) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bad cell offset: %v", err)
	}
}
