package sqlite

import (
	"fmt"
	"strings"
)

// Table is a rowid table of the database.
type Table struct {
	db       *DB
	Name     string
	Columns  []Column
	Indexes  []*Index // indexes on this table, in sqlite_master order
	root     uint32
	rowidCol int // column aliasing the rowid, -1 if none
	noRowid  bool
}

// Index is an index b-tree: records of the indexed columns plus the rowid.
type Index struct {
	db       *DB
	Name     string
	Table    string
	Columns  []string
	root     uint32
	unusable string
}

// Row is one table row during a callback; it must not be kept afterwards.
type Row struct {
	Rowid int64
	t     *Table
	rec   Record
}

// Column returns field i of the row: the rowid for an INTEGER PRIMARY KEY,
// the column's DEFAULT for rows stored before ALTER TABLE ADD COLUMN.
func (r *Row) Column(i int) Value {
	switch {
	case i < 0 || i >= len(r.t.Columns):
		return Value{}
	case i == r.t.rowidCol:
		return Value{Kind: Integer, I: r.Rowid}
	case i >= r.rec.Len():
		return r.t.Columns[i].Default
	}
	v := r.rec.Field(i)
	if v.Kind == Integer && r.t.Columns[i].real {
		return Value{Kind: Float, F: float64(v.I)}
	}
	return v
}

// Table returns the named table (case-insensitive).
func (db *DB) Table(name string) (*Table, error) {
	t := db.tables[strings.ToLower(name)]
	if t == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoTable, name)
	}
	if t.noRowid {
		return nil, fmt.Errorf("%w: table %s is WITHOUT ROWID", ErrUnsupported, name)
	}
	return t, nil
}

// HasTable reports whether a table of that name exists.
func (db *DB) HasTable(name string) bool { return db.tables[strings.ToLower(name)] != nil }

// ColumnIndex returns the position of the named column, -1 if absent.
func (t *Table) ColumnIndex(name string) int { return columnIndex(t.Columns, name) }

// setRow decodes payload into r and checks DEFAULTs it needs.
func (t *Table) setRow(r *Row, rowid int64, payload []byte) error {
	r.Rowid = rowid
	if err := r.rec.parse(payload); err != nil {
		return fmt.Errorf("table %s row %d: %w", t.Name, rowid, err)
	}
	for i := r.rec.Len(); i < len(t.Columns); i++ {
		if err := t.Columns[i].defaultErr; err != nil && i != t.rowidCol {
			return fmt.Errorf("table %s row %d: %w", t.Name, rowid, err)
		}
	}
	return nil
}

// Scan calls fn for every row in rowid order.
func (t *Table) Scan(fn func(*Row) error) error {
	if err := t.db.rlock(); err != nil {
		return err
	}
	defer t.db.runlock()
	r := &Row{t: t}
	return t.db.newWalk().scanTable(t.root, 0, func(rowid int64, payload []byte) error {
		if err := t.setRow(r, rowid, payload); err != nil {
			return err
		}
		return fn(r)
	})
}

// Get calls fn with the row of the given rowid; found is false if none.
func (t *Table) Get(rowid int64, fn func(*Row) error) (found bool, err error) {
	if err := t.db.rlock(); err != nil {
		return false, err
	}
	defer t.db.runlock()
	return t.get(rowid, &Row{t: t}, nil, fn)
}

func (t *Table) get(rowid int64, r *Row, hint *leafHint, fn func(*Row) error) (bool, error) {
	payload, ok, err := t.db.newWalk().findRowid(t.root, rowid, hint)
	if err != nil || !ok {
		return false, err
	}
	if err := t.setRow(r, rowid, payload); err != nil {
		return false, err
	}
	return true, fn(r)
}

// MaxRowid returns the largest rowid (ok false for an empty table).
func (t *Table) MaxRowid() (rowid int64, ok bool, err error) {
	if err := t.db.rlock(); err != nil {
		return 0, false, err
	}
	defer t.db.runlock()
	return t.db.newWalk().maxRowid(t.root)
}

// IndexOn returns a usable index whose leading columns are cols (in that
// order), or nil.
func (t *Table) IndexOn(cols ...string) *Index {
	for _, ix := range t.Indexes {
		if ix.unusable != "" || len(ix.Columns) < len(cols) {
			continue
		}
		ok := true
		for i, c := range cols {
			j := t.ColumnIndex(c)
			ok = ok && strings.EqualFold(ix.Columns[i], c) && j >= 0 && (t.Columns[j].collate == "" || t.Columns[j].collate == "binary")
		}
		if ok {
			return ix
		}
	}
	return nil
}

// Where calls fn for each row whose columns cols equal vals (SQL "=": a
// NULL value matches nothing). It seeks an index whose leading columns are
// cols when there is one (rows then come in index order), otherwise it
// scans the table (rowid order). Values compare without type affinity:
// pass the storage class the column holds.
func (t *Table) Where(cols []string, vals []Value, fn func(*Row) error) error {
	idx := make([]int, len(cols))
	for i, c := range cols {
		if idx[i] = t.ColumnIndex(c); idx[i] < 0 {
			return fmt.Errorf("%w: table %s has no column %s", ErrNoTable, t.Name, c)
		}
		if vals[i].Kind == Null {
			return nil
		}
	}
	if ix := t.IndexOn(cols...); ix != nil {
		rowids, err := ix.Seek(vals...)
		if err != nil {
			return err
		}
		if err := t.db.rlock(); err != nil {
			return err
		}
		defer t.db.runlock()
		r := &Row{t: t}
		var hint leafHint
		for _, id := range rowids {
			if ok, err := t.get(id, r, &hint, fn); err != nil {
				return err
			} else if !ok {
				return fmt.Errorf("%w: index %s names missing row %d of %s", ErrCorrupt, ix.Name, id, t.Name)
			}
		}
		return nil
	}
	return t.Scan(func(r *Row) error {
		for i, j := range idx {
			if compare(r.Column(j), vals[i]) != 0 {
				return nil
			}
		}
		return fn(r)
	})
}

// Seek returns the rowids of the index entries whose leading columns equal
// key, in index order.
func (ix *Index) Seek(key ...Value) ([]int64, error) {
	if ix.unusable != "" {
		return nil, fmt.Errorf("%w: index %s: %s", ErrUnsupported, ix.Name, ix.unusable)
	}
	if len(key) > len(ix.Columns) {
		return nil, fmt.Errorf("index %s has %d columns, got %d values", ix.Name, len(ix.Columns), len(key))
	}
	if err := ix.db.rlock(); err != nil {
		return nil, err
	}
	defer ix.db.runlock()
	var out []int64
	var rec Record
	_, err := ix.db.newWalk().seekIndex(ix.root, 0, key, &rec, func(r *Record) error {
		v := r.Field(r.Len() - 1)
		if r.Len() != len(ix.Columns)+1 || v.Kind != Integer {
			return fmt.Errorf("%w: index %s record has %d fields, want %d ending in a rowid", ErrCorrupt, ix.Name, r.Len(), len(ix.Columns)+1)
		}
		out = append(out, v.I)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("index %s: %w", ix.Name, err)
	}
	return out, nil
}
