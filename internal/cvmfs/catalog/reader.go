package catalog

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/sqlite"
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

// Catalog is an open, read-only catalog database. It is safe for
// concurrent use.
type Catalog struct {
	db         *sqlite.DB
	Schema     float64
	Revision   int // schema_revision
	Props      map[string]string
	RootPrefix string
	cat        *sqlite.Table
	col        entryCols
}

// Open opens the inflated catalog file at path read-only.
func Open(path string) (*Catalog, error) {
	db, err := sqlite.Open(path)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w: %w", path, ErrSchema, err)
	}
	c := &Catalog{db: db, Props: map[string]string{}}
	if err := c.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("catalog %s: %w", path, err)
	}
	return c, nil
}

func (c *Catalog) init() error {
	props, err := c.table("properties")
	if err != nil {
		return err
	}
	k, v := props.ColumnIndex("key"), props.ColumnIndex("value")
	if k < 0 || v < 0 {
		return fmt.Errorf("%w: properties table without key/value columns", ErrSchema)
	}
	err = props.Scan(func(r *sqlite.Row) error {
		c.Props[r.Column(k).String()] = r.Column(v).String()
		return nil
	})
	if err != nil {
		return err
	}
	c.Schema, _ = strconv.ParseFloat(c.Props["schema"], 64)
	c.Revision, _ = strconv.Atoi(c.Props["schema_revision"])
	c.RootPrefix = c.Props["root_prefix"]
	if c.Schema < 2.35 || c.Schema > 2.55 {
		return fmt.Errorf("%w: schema %q (supported: 2.4, 2.5)", ErrSchema, c.Props["schema"])
	}
	if c.cat, err = c.table("catalog"); err != nil {
		return err
	}
	return c.col.resolve(c.cat, c.Revision)
}

// table opens a table of the catalog; a missing table is a schema error.
func (c *Catalog) table(name string) (*sqlite.Table, error) {
	t, err := c.db.Table(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrSchema, err)
	}
	return t, nil
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

// errStop ends a callback iteration after the first row.
var errStop = errors.New("stop")

// byPath calls fn with the catalog row of path (found false if none).
func (c *Catalog) byPath(path string, fn func(*sqlite.Row) error) (bool, error) {
	p1, p2 := hash.PathMD5(path)
	found := false
	err := c.cat.Where(pathCols, []sqlite.Value{sqlite.IntValue(p1), sqlite.IntValue(p2)}, func(r *sqlite.Row) error {
		found = true
		if err := fn(r); err != nil {
			return err
		}
		return errStop
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return found, err
}

var (
	pathCols   = []string{"md5path_1", "md5path_2"}
	parentCols = []string{"parent_1", "parent_2"}
)

// Lookup returns the row of path ("" is the repository root).
func (c *Catalog) Lookup(path string) (*Entry, error) {
	var e *Entry
	found, err := c.byPath(path, func(r *sqlite.Row) error {
		var err error
		e, err = c.col.entry(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, path)
	}
	e.Path = path
	return e, nil
}

// List returns the rows whose parent is dir, in unspecified order.
func (c *Catalog) List(dir string) ([]*Entry, error) {
	p1, p2 := hash.PathMD5(dir)
	var out []*Entry
	err := c.cat.Where(parentCols, []sqlite.Value{sqlite.IntValue(p1), sqlite.IntValue(p2)}, func(r *sqlite.Row) error {
		e, err := c.col.entry(r)
		if err != nil {
			return err
		}
		e.Path = dir + "/" + e.Name
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
