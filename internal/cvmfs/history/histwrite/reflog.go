package histwrite

import (
	"database/sql"
	"fmt"
	"github.com/ucvm/ucvm/internal/cvmfs/history"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// RefType is the object type code stored in the reflog's refs.type column.
type RefType int

// Reflog type codes (format spec §8.3).
const (
	RefCatalog     RefType = 0 // C
	RefCertificate RefType = 1 // X
	RefHistory     RefType = 2 // H
	RefMetainfo    RefType = 3 // M
)

// Suffix returns the object suffix of the type.
func (t RefType) Suffix() byte {
	switch t {
	case RefCatalog:
		return hash.SuffixCatalog
	case RefCertificate:
		return hash.SuffixCertificate
	case RefHistory:
		return hash.SuffixHistory
	case RefMetainfo:
		return hash.SuffixMetainfo
	}
	return 0
}

const sqlRefs = `CREATE TABLE refs (hash TEXT, type INTEGER, timestamp INTEGER, CONSTRAINT pk_refs PRIMARY KEY (hash))`

// Ref is one reflog row.
type Ref struct {
	Hash      hash.Hash
	Type      RefType
	Timestamp int64 // Unix seconds of insertion
}

// Reflog is an open .cvmfsreflog database.
type Reflog struct {
	db       *sql.DB
	path     string
	readOnly bool
	fqrn     string
}

// CreateReflog makes a new, empty reflog for fqrn at path (must not exist).
func CreateReflog(path, fqrn string) (*Reflog, error) {
	db, err := openSQLite(path, true, false)
	if err != nil {
		return nil, fmt.Errorf("reflog: %w", err)
	}
	if err := execAll(db, sqlProperties, sqlRefs); err != nil {
		db.Close()
		return nil, fmt.Errorf("reflog: creating %s: %w", path, err)
	}
	for _, kv := range [][2]string{{"schema", "1.0"}, {"schema_revision", "0"}, {"fqrn", fqrn}} {
		if err := setProperty(db, kv[0], kv[1]); err != nil {
			db.Close()
			return nil, fmt.Errorf("reflog: %w", err)
		}
	}
	return &Reflog{db: db, path: path, fqrn: fqrn}, nil
}

// OpenReflog opens an existing reflog; readOnly forbids changes.
func OpenReflog(path string, readOnly bool) (*Reflog, error) {
	db, err := openSQLite(path, false, readOnly)
	if err != nil {
		return nil, fmt.Errorf("reflog: %w", err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'refs'`).Scan(&n); err != nil || n != 1 {
		db.Close()
		return nil, fmt.Errorf("reflog: %s: %w: no refs table (%v)", path, history.ErrSchema, err)
	}
	fqrn, _, err := property(db, "fqrn")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("reflog: %w", err)
	}
	return &Reflog{db: db, path: path, readOnly: readOnly, fqrn: fqrn}, nil
}

// FQRN returns the repository name recorded in the reflog.
func (r *Reflog) FQRN() string { return r.fqrn }

// Add records an object (INSERT OR REPLACE, as the real server does).
func (r *Reflog) Add(ref Ref) error {
	if r.readOnly {
		return fmt.Errorf("reflog: %s: %w", r.path, history.ErrReadOnly)
	}
	if ref.Hash.IsZero() || ref.Type.Suffix() == 0 {
		return fmt.Errorf("reflog: %w: hash %q type %d", history.ErrBadTag, ref.Hash, ref.Type)
	}
	_, err := r.db.Exec(`INSERT OR REPLACE INTO refs (hash, type, timestamp) VALUES (?, ?, ?)`, ref.Hash.String(), int(ref.Type), ref.Timestamp)
	if err != nil {
		return fmt.Errorf("reflog: adding %s: %w", ref.Hash, err)
	}
	return nil
}

// Remove deletes an object's row; history.ErrNotFound if absent.
func (r *Reflog) Remove(h hash.Hash) error {
	if r.readOnly {
		return fmt.Errorf("reflog: %s: %w", r.path, history.ErrReadOnly)
	}
	res, err := r.db.Exec(`DELETE FROM refs WHERE hash = ?`, h.String())
	if err != nil {
		return fmt.Errorf("reflog: removing %s: %w", h, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("reflog: %s: %w", h, history.ErrNotFound)
	}
	return nil
}

// Contains reports whether the hash is recorded.
func (r *Reflog) Contains(h hash.Hash) (bool, error) {
	var n int
	err := r.db.QueryRow(`SELECT count(*) FROM refs WHERE hash = ?`, h.String()).Scan(&n)
	return n > 0, err
}

// List returns the rows of the given types (all when none are given),
// oldest first.
func (r *Reflog) List(types ...RefType) ([]Ref, error) {
	rows, err := r.db.Query(`SELECT hash, type, timestamp FROM refs ORDER BY timestamp, rowid`)
	if err != nil {
		return nil, fmt.Errorf("reflog: listing: %w", err)
	}
	defer rows.Close()
	want := map[RefType]bool{}
	for _, t := range types {
		want[t] = true
	}
	var out []Ref
	for rows.Next() {
		var hex string
		var ref Ref
		if err := rows.Scan(&hex, &ref.Type, &ref.Timestamp); err != nil {
			return nil, err
		}
		if len(want) > 0 && !want[ref.Type] {
			continue
		}
		if ref.Hash, err = hash.Parse(hex); err != nil {
			return nil, fmt.Errorf("reflog: row %q: %w", hex, err)
		}
		out = append(out, ref)
	}
	return out, rows.Err()
}

// Close closes the reflog; the file is then complete and self-contained.
func (r *Reflog) Close() error {
	err := closeDB(r.db, r.path)
	r.db = nil
	return err
}
