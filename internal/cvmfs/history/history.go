package history

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/sqlite"
)

// Schema written by histwrite.Create (what cvmfs_server 2.12 writes).
const (
	Schema         = "1.0"
	SchemaRevision = 3
)

// Names and descriptions of the undo tags maintained on every publish.
const (
	TagTrunk          = "trunk"
	TagTrunkPrevious  = "trunk-previous"
	DescTrunk         = "current HEAD"
	DescTrunkPrevious = "default undo target"
)

// Tag is one row of the tags table.
type Tag struct {
	Name        string
	Hash        hash.Hash // root catalog (a C object)
	Revision    uint64    // root catalog revision
	Timestamp   int64     // root catalog last_modified, Unix seconds
	Channel     int       // legacy, always 0
	Description string
	Size        int64  // uncompressed root catalog size in bytes
	Branch      string // "" = default branch
}

// DB is a history database opened read-only.
type DB struct {
	db   *sqlite.DB
	path string
	rev  int
	fqrn string
	tags *sqlite.Table
	cols tagCols
}

// OpenReadOnly opens an existing history database of any schema revision
// for reading.
func OpenReadOnly(path string) (*DB, error) {
	db, err := sqlite.Open(path)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	h := &DB{db: db, path: path}
	if err := h.loadSchema(); err != nil {
		db.Close()
		return nil, err
	}
	return h, nil
}

func (h *DB) loadSchema() error {
	schema, ok, err := property(h.db, "schema")
	if err != nil {
		return fmt.Errorf("history: %s is not a history database: %w", h.path, err)
	}
	if !ok || !strings.HasPrefix(schema, "1.") {
		return fmt.Errorf("history: %s: %w: schema %q (want 1.x)", h.path, ErrSchema, schema)
	}
	revText, _, err := property(h.db, "schema_revision")
	if err != nil {
		return err
	}
	if revText != "" {
		if h.rev, err = strconv.Atoi(revText); err != nil || h.rev < 0 || h.rev > SchemaRevision {
			return fmt.Errorf("history: %s: %w: schema_revision %q (know 0..%d)", h.path, ErrSchema, revText, SchemaRevision)
		}
	}
	if h.tags, err = h.db.Table("tags"); err != nil {
		return fmt.Errorf("history: %s: %w: no tags table (%w)", h.path, ErrSchema, err)
	}
	if h.fqrn, _, err = property(h.db, "fqrn"); err != nil {
		return err
	}
	return h.resolveColumns()
}

// FQRN returns the repository name recorded in the database.
func (h *DB) FQRN() string { return h.fqrn }

// SchemaRevision returns the schema revision of the opened database.
func (h *DB) SchemaRevision() int { return h.rev }

// PreviousRevision returns the previous history object's hash, zero if none.
func (h *DB) PreviousRevision() (hash.Hash, error) {
	v, ok, err := property(h.db, "previous_revision")
	if err != nil || !ok || v == "" {
		return hash.Hash{}, err
	}
	return hash.Parse(v)
}

// Close closes the database.
func (h *DB) Close() error {
	if h.db == nil {
		return nil
	}
	err := h.db.Close()
	h.db = nil
	return err
}
