package histwrite

import (
	"database/sql"
	"fmt"
	"strconv"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/history"
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

// DB is a history database opened for writing.
type DB struct {
	db   *sql.DB
	path string
	rev  int
	fqrn string
}

// Create makes a new, empty history database for fqrn at path (which must
// not exist).
func Create(path, fqrn string) (*DB, error) {
	db, err := openSQLite(path, true, false)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if err := execAll(db, historyDDL...); err != nil {
		db.Close()
		return nil, fmt.Errorf("history: creating %s: %w", path, err)
	}
	for _, kv := range [][2]string{{"schema", history.Schema}, {"schema_revision", strconv.Itoa(history.SchemaRevision)}, {"fqrn", fqrn}} {
		if err := setProperty(db, kv[0], kv[1]); err != nil {
			db.Close()
			return nil, fmt.Errorf("history: %w", err)
		}
	}
	return &DB{db: db, path: path, rev: history.SchemaRevision, fqrn: fqrn}, nil
}

// Open opens an existing history database read-write, upgrading schema
// revisions 0-2 to 3 in place, as cvmfs_server does.
func Open(path string) (*DB, error) {
	ro, err := history.OpenReadOnly(path)
	if err != nil {
		return nil, err
	}
	h := &DB{path: path, rev: ro.SchemaRevision(), fqrn: ro.FQRN()}
	ro.Close()
	if h.db, err = openSQLite(path, false, false); err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if h.rev < history.SchemaRevision {
		if err := h.upgrade(); err != nil {
			h.db.Close()
			return nil, fmt.Errorf("history: upgrading %s from schema revision %d: %w", path, h.rev, err)
		}
	}
	return h, nil
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
	h.rev = history.SchemaRevision
	return nil
}

// FQRN returns the repository name recorded in the database.
func (h *DB) FQRN() string { return h.fqrn }

// SchemaRevision returns the schema revision (3 after Open's upgrade).
func (h *DB) SchemaRevision() int { return h.rev }

// SetPreviousRevision records the hash of the history object this one
// replaces.
func (h *DB) SetPreviousRevision(prev hash.Hash) error {
	return setProperty(h.db, "previous_revision", prev.String())
}

// Close closes the database; the file is then complete and self-contained.
func (h *DB) Close() error {
	err := closeDB(h.db, h.path)
	h.db = nil
	return err
}
