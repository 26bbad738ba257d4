package catalog

import (
	"fmt"
	"sort"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/sqlite"
)

// Chunks returns the chunk list of a chunked file, ordered by offset.
func (c *Catalog) Chunks(e *Entry) ([]Chunk, error) {
	t, err := c.table("chunks")
	if err != nil {
		return nil, err
	}
	off, size, hx := t.ColumnIndex("offset"), t.ColumnIndex("size"), t.ColumnIndex("hash")
	if off < 0 || size < 0 || hx < 0 {
		return nil, fmt.Errorf("%w: chunks table lacks offset/size/hash", ErrSchema)
	}
	p1, p2 := hash.PathMD5(e.Path)
	var out []Chunk
	err = t.Where(pathCols, []sqlite.Value{sqlite.IntValue(p1), sqlite.IntValue(p2)}, func(r *sqlite.Row) error {
		ch := Chunk{Offset: r.Column(off).Int(), Size: r.Column(size).Int()}
		var err error
		if ch.Hash, err = hash.FromDigest(e.HashAlgorithm(), r.Column(hx).B); err != nil {
			return fmt.Errorf("chunk of %q: %w", e.Path, err)
		}
		out = append(out, ch)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Offset < out[j].Offset })
	return out, nil
}

// Xattrs returns the published extended attributes of e (nil if none).
func (c *Catalog) Xattrs(e *Entry) (map[string][]byte, error) {
	if !e.HasXattrs || c.col.xattr < 0 {
		return nil, nil
	}
	var blob []byte
	found, err := c.byPath(e.Path, func(r *sqlite.Row) error {
		blob = r.Column(c.col.xattr).Bytes()
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("xattrs of %q: %w", e.Path, ErrNotFound)
	}
	return DecodeXattrs(blob)
}

// refs reads (path, sha1, size) rows of nested_catalogs or bind_mountpoints.
func (c *Catalog) refs(table string, withSize bool) ([]NestedRef, error) {
	t, err := c.table(table)
	if err != nil {
		return nil, err
	}
	p, h, s := t.ColumnIndex("path"), t.ColumnIndex("sha1"), t.ColumnIndex("size")
	if p < 0 || h < 0 || withSize && s < 0 {
		return nil, fmt.Errorf("%w: %s lacks path/sha1/size", ErrSchema, table)
	}
	var out []NestedRef
	err = t.Scan(func(row *sqlite.Row) error {
		r := NestedRef{Path: row.Column(p).String()}
		if withSize {
			r.Size = row.Column(s).Int()
		}
		var err error
		if r.Hash, err = hash.Parse(row.Column(h).String()); err != nil {
			return fmt.Errorf("nested catalog %q: %w", r.Path, err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// Nested returns the direct child catalogs (and bind mountpoints).
func (c *Catalog) Nested() ([]NestedRef, error) {
	out, err := c.refs("nested_catalogs", c.Revision != 0)
	if err != nil || c.Revision < 4 {
		return out, err
	}
	binds, err := c.refs("bind_mountpoints", true)
	return append(out, binds...), err
}

// Counters returns the statistics counters (self_ and subtree_ prefixed).
func (c *Catalog) Counters() (map[string]int64, error) {
	t, err := c.table("statistics")
	if err != nil {
		return nil, err
	}
	k, v := t.ColumnIndex("counter"), t.ColumnIndex("value")
	if k < 0 || v < 0 {
		return nil, fmt.Errorf("%w: statistics lacks counter/value", ErrSchema)
	}
	out := map[string]int64{}
	err = t.Scan(func(r *sqlite.Row) error {
		out[r.Column(k).String()] = r.Column(v).Int()
		return nil
	})
	return out, err
}

// MaxRowID returns the largest rowid of the catalog table (inode range).
func (c *Catalog) MaxRowID() (int64, error) {
	n, _, err := c.cat.MaxRowid()
	return n, err
}
