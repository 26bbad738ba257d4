package catalog

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // pure-Go SQLite: catalogs must be readable without cgo (bootloader)

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// ErrNotFound reports a path without a row in this catalog.
var ErrNotFound = errors.New("not in catalog")

// ErrSchema reports a catalog schema this package cannot read.
var ErrSchema = errors.New("unsupported catalog schema")

// NestedRef points from a catalog to a direct child catalog.
type NestedRef struct {
	Path string
	Hash hash.Hash
	Size int64
}

// Catalog is an open, read-only catalog database.
type Catalog struct {
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
func Open(path string) (*Catalog, error) {
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?mode=ro&immutable=1"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	c := &Catalog{db: db, Props: map[string]string{}}
	if err := c.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

func (c *Catalog) init() error {
	rows, err := c.db.Query(`SELECT key, value FROM properties`)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrSchema, err)
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
		return fmt.Errorf("%w: schema %q (supported: 2.4, 2.5)", ErrSchema, c.Props["schema"])
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
		return fmt.Errorf("%w: %v", ErrSchema, err)
	}
	if c.list, err = c.db.Prepare(`SELECT ` + c.cols + ` FROM catalog WHERE parent_1=? AND parent_2=?`); err != nil {
		return fmt.Errorf("%w: %v", ErrSchema, err)
	}
	return nil
}

// Close releases the database.
func (c *Catalog) Close() error { return c.db.Close() }

// PropInt returns a numeric property (stored as text or integer), or def.
func (c *Catalog) PropInt(key string, def int64) int64 {
	v, err := strconv.ParseInt(strings.TrimSpace(c.Props[key]), 10, 64)
	if err != nil {
		return def
	}
	return v
}

type scanner interface{ Scan(...any) error }

func (c *Catalog) scan(s scanner) (*Entry, error) {
	var blob []byte
	var e Entry
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
func (c *Catalog) Lookup(path string) (*Entry, error) {
	p1, p2 := hash.PathMD5(path)
	e, err := c.scan(c.lookup.QueryRow(p1, p2))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, path)
	}
	if err != nil {
		return nil, err
	}
	e.Path = path
	return e, nil
}

// List returns the rows whose parent is dir, in unspecified order.
func (c *Catalog) List(dir string) ([]*Entry, error) {
	p1, p2 := hash.PathMD5(dir)
	rows, err := c.list.Query(p1, p2)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Entry
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
