package history

import (
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// Schema written by Create (what cvmfs_server 2.12 writes).
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

// DDL exactly as in history databases written by cvmfs_server 2.12
// (whitespace included: sqlite_master keeps the text).
var historyDDL = []string{
	sqlProperties,
	`CREATE TABLE branches (branch TEXT, parent TEXT, initial_revision INTEGER,  CONSTRAINT pk_branch PRIMARY KEY (branch),   FOREIGN KEY (parent) REFERENCES branches (branch),   CHECK ((branch <> '') OR (parent IS NULL)),   CHECK ((branch = '') OR (parent IS NOT NULL)))`,
	`INSERT INTO branches (branch, parent, initial_revision) VALUES ('', NULL, 0)`,
	`CREATE TABLE tags (name TEXT, hash TEXT, revision INTEGER,   timestamp INTEGER, channel INTEGER, description TEXT, size INTEGER,   branch TEXT, CONSTRAINT pk_tags PRIMARY KEY (name),   FOREIGN KEY (branch) REFERENCES branches (branch))`,
	`CREATE TABLE recycle_bin (hash TEXT, flags INTEGER,   CONSTRAINT pk_hash PRIMARY KEY (hash))`,
}

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

// DB is an open history database.
type DB struct {
	db       *sql.DB
	path     string
	readOnly bool
	rev      int
	fqrn     string
}

// Create makes a new, empty history database for fqrn at path (which must
// not exist).
func Create(path, fqrn string) (*DB, error) {
	db, err := openSQLite(path, true, false)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	stmts := append([]string{}, historyDDL...)
	if err := execAll(db, stmts...); err != nil {
		db.Close()
		return nil, fmt.Errorf("history: creating %s: %w", path, err)
	}
	for _, kv := range [][2]string{{"schema", Schema}, {"schema_revision", strconv.Itoa(SchemaRevision)}, {"fqrn", fqrn}} {
		if err := setProperty(db, kv[0], kv[1]); err != nil {
			db.Close()
			return nil, fmt.Errorf("history: %w", err)
		}
	}
	return &DB{db: db, path: path, rev: SchemaRevision, fqrn: fqrn}, nil
}

// Open opens an existing history database read-write (upgrading schema
// revisions 0-2 to 3 in place, as cvmfs_server does).
func Open(path string) (*DB, error) { return open(path, false) }

// OpenReadOnly opens an existing history database of any schema revision
// for reading.
func OpenReadOnly(path string) (*DB, error) { return open(path, true) }

func open(path string, readOnly bool) (*DB, error) {
	db, err := openSQLite(path, false, readOnly)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	h := &DB{db: db, path: path, readOnly: readOnly}
	if err := h.loadSchema(); err != nil {
		db.Close()
		return nil, err
	}
	if !readOnly && h.rev < SchemaRevision {
		if err := h.upgrade(); err != nil {
			db.Close()
			return nil, fmt.Errorf("history: upgrading %s from schema revision %d: %w", path, h.rev, err)
		}
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
	var n int
	if err := h.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'tags'`).Scan(&n); err != nil || n != 1 {
		return fmt.Errorf("history: %s: %w: no tags table (%v)", h.path, ErrSchema, err)
	}
	h.fqrn, _, err = property(h.db, "fqrn")
	return err
}

// upgrade applies the schema steps the real server applies when it opens an
// old history read-write.
func (h *DB) upgrade() error {
	var stmts []string
	if h.rev < 1 {
		stmts = append(stmts, `ALTER TABLE tags ADD size INTEGER`, `UPDATE tags SET size = 0`)
	}
	if h.rev < 2 {
		stmts = append(stmts, historyDDL[4])
	}
	if h.rev < 3 {
		stmts = append(stmts, historyDDL[1], historyDDL[2],
			`ALTER TABLE tags ADD branch TEXT REFERENCES branches (branch)`, `UPDATE tags SET branch = ''`)
	}
	stmts = append(stmts, `INSERT OR REPLACE INTO properties (key, value) VALUES ('schema_revision', '3')`)
	if err := execAll(h.db, stmts...); err != nil {
		return err
	}
	h.rev = SchemaRevision
	return nil
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

// SetPreviousRevision records the hash of the history object this one
// replaces.
func (h *DB) SetPreviousRevision(prev hash.Hash) error {
	if h.readOnly {
		return ErrReadOnly
	}
	return setProperty(h.db, "previous_revision", prev.String())
}

// Close closes the database; the file is then complete and self-contained.
func (h *DB) Close() error {
	err := closeDB(h.db, h.path)
	h.db = nil
	return err
}

func (h *DB) writable() error {
	if h.readOnly {
		return fmt.Errorf("history: %s: %w", h.path, ErrReadOnly)
	}
	return nil
}

var errNoRows = sql.ErrNoRows

func isNoRows(err error) bool { return errors.Is(err, errNoRows) }
