package catalog

import (
	"database/sql"
	"fmt"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// Chunks returns the chunk list of a chunked file, ordered by offset.
func (c *Catalog) Chunks(e *Entry) ([]Chunk, error) {
	p1, p2 := hash.PathMD5(e.Path)
	rows, err := c.db.Query(`SELECT offset, size, hash FROM chunks WHERE md5path_1=? AND md5path_2=? ORDER BY offset ASC`, p1, p2)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Chunk
	for rows.Next() {
		var ch Chunk
		var blob []byte
		if err := rows.Scan(&ch.Offset, &ch.Size, &blob); err != nil {
			return nil, err
		}
		if ch.Hash, err = hash.FromDigest(e.HashAlgorithm(), blob); err != nil {
			return nil, fmt.Errorf("chunk of %q: %w", e.Path, err)
		}
		out = append(out, ch)
	}
	return out, rows.Err()
}

// Xattrs returns the published extended attributes of e (nil if none).
func (c *Catalog) Xattrs(e *Entry) (map[string][]byte, error) {
	if !e.HasXattrs {
		return nil, nil
	}
	p1, p2 := hash.PathMD5(e.Path)
	var blob []byte
	if err := c.db.QueryRow(`SELECT xattr FROM catalog WHERE md5path_1=? AND md5path_2=?`, p1, p2).Scan(&blob); err != nil {
		return nil, err
	}
	return DecodeXattrs(blob)
}

// Nested returns the direct child catalogs (and bind mountpoints).
func (c *Catalog) Nested() ([]NestedRef, error) {
	q := `SELECT path, sha1, size FROM nested_catalogs`
	switch {
	case c.Revision == 0:
		q = `SELECT path, sha1, 0 FROM nested_catalogs`
	case c.Revision >= 4:
		q += ` UNION ALL SELECT path, sha1, size FROM bind_mountpoints`
	}
	rows, err := c.db.Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []NestedRef
	for rows.Next() {
		var r NestedRef
		var hx string
		var size sql.NullInt64
		if err := rows.Scan(&r.Path, &hx, &size); err != nil {
			return nil, err
		}
		if r.Hash, err = hash.Parse(hx); err != nil {
			return nil, fmt.Errorf("nested catalog %q: %w", r.Path, err)
		}
		r.Size = size.Int64
		out = append(out, r)
	}
	return out, rows.Err()
}

// Counters returns the statistics counters (self_ and subtree_ prefixed).
func (c *Catalog) Counters() (map[string]int64, error) {
	rows, err := c.db.Query(`SELECT counter, value FROM statistics`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, rows.Err()
}

// MaxRowID returns the largest rowid of the catalog table (inode range).
func (c *Catalog) MaxRowID() (int64, error) {
	var n sql.NullInt64
	err := c.db.QueryRow(`SELECT MAX(rowid) FROM catalog`).Scan(&n)
	return n.Int64, err
}
