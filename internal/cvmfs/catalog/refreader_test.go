package catalog_test

// The modernc-based catalog reader as it was before internal/sqlite (commit
// 532c6cf), kept verbatim as the reference of the conformance test and the
// baseline of the benchmarks.

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // the reference SQL engine

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// refCatalog is an open, read-only catalog database.
type refCatalog struct {
	db         *sql.DB
	Schema     float64
	Revision   int // schema_revision
	Props      map[string]string
	RootPrefix string
	cols       string
	lookup     *sql.Stmt
	list       *sql.Stmt
}

// Open opens the inflated catalog file at path read-only.
func refOpen(path string) (*refCatalog, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&immutable=1"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	c := &refCatalog{db: db, Props: map[string]string{}}
	if err := c.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

func (c *refCatalog) init() error {
	rows, err := c.db.Query(`SELECT key, value FROM properties`)
	if err != nil {
		return fmt.Errorf("%w: %v", catalog.ErrSchema, err)
	}
	for rows.Next() {
		var k string
		var v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			rows.Close()
			return err
		}
		c.Props[k] = v.String
	}
	rows.Close()
	c.Schema, _ = strconv.ParseFloat(c.Props["schema"], 64)
	c.Revision, _ = strconv.Atoi(c.Props["schema_revision"])
	c.RootPrefix = c.Props["root_prefix"]
	if c.Schema < 2.35 || c.Schema > 2.55 {
		return fmt.Errorf("%w: schema %q (supported: 2.4, 2.5)", catalog.ErrSchema, c.Props["schema"])
	}
	c.cols = `hash, hardlinks, size, mode, mtime, flags, name, symlink, uid, gid, rowid, `
	switch {
	case c.Revision < 2:
		c.cols += `0, NULL`
	case c.Revision < 7:
		c.cols += `xattr IS NOT NULL, NULL`
	default:
		c.cols += `xattr IS NOT NULL, mtimens`
	}
	if c.lookup, err = c.db.Prepare(`SELECT ` + c.cols + ` FROM catalog WHERE md5path_1=? AND md5path_2=?`); err != nil {
		return fmt.Errorf("%w: %v", catalog.ErrSchema, err)
	}
	if c.list, err = c.db.Prepare(`SELECT ` + c.cols + ` FROM catalog WHERE parent_1=? AND parent_2=?`); err != nil {
		return fmt.Errorf("%w: %v", catalog.ErrSchema, err)
	}
	return nil
}

// Close releases the database.
func (c *refCatalog) Close() error { return c.db.Close() }

// PropInt returns a numeric property (stored as text or integer), or def.
func (c *refCatalog) PropInt(key string, def int64) int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(c.Props[key]), 10, 64)
	if err != nil {
		return def
	}
	return v
}

type refScanner interface{ Scan(...any) error }

func (c *refCatalog) scan(s refScanner) (*catalog.Entry, error) {
	var blob []byte
	var e catalog.Entry
	var hl, size, mode, mtime, flags, uid, gid int64
	var name, symlink sql.NullString
	var hasX sql.NullBool
	var ns sql.NullInt64
	if err := s.Scan(&blob, &hl, &size, &mode, &mtime, &flags, &name, &symlink, &uid, &gid, &e.RowID, &hasX, &ns); err != nil {
		return nil, err
	}
	e.Hardlinks, e.Size, e.Mode, e.Mtime = uint64(hl), size, uint32(mode), mtime
	e.Flags, e.Name, e.Symlink = uint32(flags), name.String, symlink.String
	e.UID, e.GID, e.HasXattrs = uint32(uid), uint32(gid), hasX.Bool
	e.MtimeNs = -1
	if ns.Valid {
		e.MtimeNs = int32(ns.Int64)
	}
	if len(blob) > 0 {
		h, err := hash.FromDigest(e.HashAlgorithm(), blob)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", e.Name, err)
		}
		e.Hash = h
	}
	return &e, nil
}

// Lookup returns the row of path ("" is the repository root).
func (c *refCatalog) Lookup(path string) (*catalog.Entry, error) {
	p1, p2 := hash.PathMD5(path)
	e, err := c.scan(c.lookup.QueryRow(p1, p2))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %q", catalog.ErrNotFound, path)
	}
	if err != nil {
		return nil, err
	}
	e.Path = path
	return e, nil
}

// List returns the rows whose parent is dir, in unspecified order.
func (c *refCatalog) List(dir string) ([]*catalog.Entry, error) {
	p1, p2 := hash.PathMD5(dir)
	rows, err := c.list.Query(p1, p2)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*catalog.Entry
	for rows.Next() {
		e, err := c.scan(rows)
		if err != nil {
			return nil, err
		}
		e.Path = dir + "/" + e.Name
		out = append(out, e)
	}
	return out, rows.Err()
}

// Chunks returns the chunk list of a chunked file, ordered by offset.
func (c *refCatalog) Chunks(e *catalog.Entry) ([]catalog.Chunk, error) {
	p1, p2 := hash.PathMD5(e.Path)
	rows, err := c.db.Query(`SELECT offset, size, hash FROM chunks WHERE md5path_1=? AND md5path_2=? ORDER BY offset ASC`, p1, p2)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Chunk
	for rows.Next() {
		var ch catalog.Chunk
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
func (c *refCatalog) Xattrs(e *catalog.Entry) (map[string][]byte, error) {
	if !e.HasXattrs {
		return nil, nil
	}
	p1, p2 := hash.PathMD5(e.Path)
	var blob []byte
	if err := c.db.QueryRow(`SELECT xattr FROM catalog WHERE md5path_1=? AND md5path_2=?`, p1, p2).Scan(&blob); err != nil {
		return nil, err
	}
	return catalog.DecodeXattrs(blob)
}

// Nested returns the direct child catalogs (and bind mountpoints).
func (c *refCatalog) Nested() ([]catalog.NestedRef, error) {
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
	var out []catalog.NestedRef
	for rows.Next() {
		var r catalog.NestedRef
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
func (c *refCatalog) Counters() (map[string]int64, error) {
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
func (c *refCatalog) MaxRowID() (int64, error) {
	var n sql.NullInt64
	err := c.db.QueryRow(`SELECT MAX(rowid) FROM catalog`).Scan(&n)
	return n.Int64, err
}

// Objects lists the distinct content objects of this catalog: file objects
// and chunks (external files excluded), as a stratum-1 enumerates them.
func (c *refCatalog) Objects() ([]catalog.ObjectRef, error) {
	rows, err := c.db.Query(`SELECT DISTINCT hash, flags FROM catalog WHERE hash IS NOT NULL AND (flags & ?) = 0`, catalog.FlagFileExternal)
	if err != nil {
		return nil, err
	}
	var out []catalog.ObjectRef
	seen := map[string]bool{}
	for rows.Next() {
		var blob []byte
		var flags int64
		if err := rows.Scan(&blob, &flags); err != nil {
			rows.Close()
			return nil, err
		}
		e := catalog.Entry{Flags: uint32(flags)}
		h, err := hash.FromDigest(e.HashAlgorithm(), blob)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("catalog object list: %w", err)
		}
		if !seen[h.String()] {
			seen[h.String()] = true
			out = append(out, catalog.ObjectRef{Hash: h, Suffix: hash.SuffixNone})
		}
	}
	rows.Close()
	crow, err := c.db.Query(`SELECT DISTINCT chunks.hash, catalog.flags FROM chunks JOIN catalog ON chunks.md5path_1 = catalog.md5path_1 AND chunks.md5path_2 = catalog.md5path_2`)
	if err != nil {
		return nil, err
	}
	defer crow.Close()
	for crow.Next() {
		var blob []byte
		var flags int64
		if err := crow.Scan(&blob, &flags); err != nil {
			return nil, err
		}
		e := catalog.Entry{Flags: uint32(flags)}
		h, err := hash.FromDigest(e.HashAlgorithm(), blob)
		if err != nil {
			return nil, fmt.Errorf("catalog chunk list: %w", err)
		}
		if !seen[h.String()+"P"] {
			seen[h.String()+"P"] = true
			out = append(out, catalog.ObjectRef{Hash: h, Suffix: hash.SuffixPartial})
		}
	}
	return out, crow.Err()
}

// NestedOnly lists the nested catalogs without bind mountpoints (what
// replication and garbage collection traverse).
func (c *refCatalog) NestedOnly() ([]catalog.NestedRef, error) {
	all, err := c.Nested()
	if err != nil || c.Revision < 4 {
		return all, err
	}
	binds := map[string]bool{}
	rows, err := c.db.Query(`SELECT path FROM bind_mountpoints`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		binds[p] = true
	}
	out := all[:0]
	for _, r := range all {
		if !binds[r.Path] {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}
