package sqlite

import (
	"fmt"
	"strings"
)

// masterRow is one row of sqlite_master.
type masterRow struct {
	typ, name, tbl, sql string
	root                int64
}

// loadSchema reads sqlite_master (the table b-tree rooted at page 1) and
// parses every table and index definition.
func (db *DB) loadSchema() error {
	db.tables, db.indexes = map[string]*Table{}, map[string]*Index{}
	var entries []masterRow
	var rec Record
	err := db.newWalk().scanTable(1, 0, func(_ int64, payload []byte) error {
		if err := rec.parse(payload); err != nil {
			return fmt.Errorf("sqlite_master: %w", err)
		}
		entries = append(entries, masterRow{typ: rec.Field(0).String(), name: rec.Field(1).String(),
			tbl: rec.Field(2).String(), root: rec.Field(3).Int(), sql: rec.Field(4).String()})
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.typ != "table" || e.root == 0 {
			continue // views, triggers, virtual tables
		}
		if e.root < 1 || e.root > int64(db.nPages) {
			return fmt.Errorf("%w: table %s root page %d", ErrCorrupt, e.name, e.root)
		}
		d, err := parseCreateTable(e.sql)
		if err != nil {
			return fmt.Errorf("table %s: %w", e.name, err)
		}
		t := &Table{db: db, Name: e.name, Columns: d.cols, root: uint32(e.root), rowidCol: -1, noRowid: d.withoutRowid}
		for i, c := range d.cols {
			if c.RowidAlias {
				t.rowidCol = i
			}
		}
		db.tables[strings.ToLower(e.name)] = t
		db.addAutoIndexes(t, d, autoRoots(entries, e.name))
	}
	for _, e := range entries {
		if e.typ != "index" || e.sql == "" {
			continue
		}
		d, err := parseCreateIndex(e.sql)
		if err != nil {
			return fmt.Errorf("index %s: %w", e.name, err)
		}
		db.addIndex(e.name, d.table, d.cols, e.root, d.unusable)
	}
	return nil
}

// autoRoots lists the root pages of the automatic indexes of table tbl by
// lower-case name.
func autoRoots(entries []masterRow, tbl string) map[string]int64 {
	out := map[string]int64{}
	for _, e := range entries {
		if e.typ == "index" && e.sql == "" && strings.EqualFold(e.tbl, tbl) {
			out[strings.ToLower(e.name)] = e.root
		}
	}
	return out
}

// addAutoIndexes attaches sqlite_autoindex_<table>_N (PRIMARY KEY and
// UNIQUE constraints, numbered in declaration order).
func (db *DB) addAutoIndexes(t *Table, d *tableDef, roots map[string]int64) {
	for i, cols := range d.autoIndexes {
		name := fmt.Sprintf("sqlite_autoindex_%s_%d", t.Name, i+1)
		if root, ok := roots[strings.ToLower(name)]; ok {
			db.addIndex(name, t.Name, cols, root, "")
		}
	}
}

func (db *DB) addIndex(name, table string, cols []string, root int64, unusable string) {
	t := db.tables[strings.ToLower(table)]
	if t == nil {
		return
	}
	if root < 1 || root > int64(db.nPages) {
		unusable = fmt.Sprintf("root page %d out of range", root)
	}
	ix := &Index{db: db, Name: name, Table: t.Name, Columns: cols, root: uint32(root), unusable: unusable}
	t.Indexes = append(t.Indexes, ix)
	db.indexes[strings.ToLower(name)] = ix
}

// Index returns the named index.
func (db *DB) Index(name string) (*Index, error) {
	ix := db.indexes[strings.ToLower(name)]
	if ix == nil {
		return nil, fmt.Errorf("%w: index %s", ErrNoTable, name)
	}
	return ix, nil
}
