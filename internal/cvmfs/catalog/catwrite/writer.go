package catwrite

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// Writer creates a new catalog database file (schema 2.5, revision 7).
// All rows are written in one transaction; Close commits and leaves a
// complete rollback-journal database ready to be compressed.
type Writer struct {
	db    *sql.DB
	tx    *sql.Tx
	path  string
	ins   *sql.Stmt
	chunk *sql.Stmt
}

// Create makes a new empty catalog at path (which must not exist).
func Create(path string) (*Writer, error) {
	if _, err := os.Stat(path); err == nil {
		return nil, fmt.Errorf("catalog %s already exists", path)
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=locking_mode(EXCLUSIVE)&_pragma=foreign_keys(ON)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	w := &Writer{db: db, path: path}
	if err := w.init(); err != nil {
		db.Close()
		os.Remove(path)
		return nil, fmt.Errorf("create catalog: %w", err)
	}
	return w, nil
}

func (w *Writer) init() error {
	for _, s := range ddl {
		if _, err := w.db.Exec(s); err != nil {
			return err
		}
	}
	var err error
	if w.tx, err = w.db.Begin(); err != nil {
		return err
	}
	if w.ins, err = w.tx.Prepare(`INSERT INTO catalog (md5path_1, md5path_2, parent_1, parent_2, hardlinks, hash, size, mode, mtime, mtimens, flags, name, symlink, uid, gid, xattr) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`); err != nil {
		return err
	}
	w.chunk, err = w.tx.Prepare(`INSERT INTO chunks (md5path_1, md5path_2, offset, size, hash) VALUES (?,?,?,?,?)`)
	return err
}

// Add inserts the row of e (e.Path "" is the root of a root catalog, whose
// parent key is (0,0)). xattrs may be nil.
func (w *Writer) Add(e *catalog.Entry, xattrs map[string][]byte, rootOfRoot bool) error {
	p1, p2 := hash.PathMD5(e.Path)
	var q1, q2 int64
	if !rootOfRoot {
		q1, q2 = hash.PathMD5(parentOf(e.Path))
	}
	var blob any
	if !e.Hash.IsZero() {
		blob = e.Hash.Digest
	}
	var xb any
	if len(xattrs) > 0 {
		b, err := catalog.EncodeXattrs(xattrs)
		if err != nil {
			return fmt.Errorf("%s: %w", e.Path, err)
		}
		xb = b
	}
	var ns any
	if e.MtimeNs >= 0 {
		ns = e.MtimeNs
	}
	_, err := w.ins.Exec(p1, p2, q1, q2, int64(e.Hardlinks), blob, e.Size, e.Mode, e.Mtime, ns, e.Flags, e.Name, e.Symlink, e.UID, e.GID, xb)
	if err != nil {
		return fmt.Errorf("catalog row %q: %w", e.Path, err)
	}
	return nil
}

// AddChunks records the chunk list of the chunked file at path.
func (w *Writer) AddChunks(path string, chunks []catalog.Chunk) error {
	p1, p2 := hash.PathMD5(path)
	for _, c := range chunks {
		if _, err := w.chunk.Exec(p1, p2, c.Offset, c.Size, c.Hash.Digest); err != nil {
			return fmt.Errorf("chunk of %q: %w", path, err)
		}
	}
	return nil
}

// AddNested records a direct child catalog.
func (w *Writer) AddNested(r catalog.NestedRef) error {
	_, err := w.tx.Exec(`INSERT INTO nested_catalogs (path, sha1, size) VALUES (?,?,?)`, r.Path, r.Hash.String(), r.Size)
	return err
}

// SetProperty stores a property as text (as the original does).
func (w *Writer) SetProperty(key, value string) error {
	_, err := w.tx.Exec(`INSERT OR REPLACE INTO properties (key, value) VALUES (?,?)`, key, value)
	return err
}

// SetCounters writes all 24 statistics counters.
func (w *Writer) SetCounters(self, subtree catalog.Counters) error {
	for _, n := range catalog.CounterNames {
		if _, err := w.tx.Exec(`INSERT OR REPLACE INTO statistics (counter, value) VALUES (?,?), (?,?)`,
			"self_"+n, self[n], "subtree_"+n, subtree[n]); err != nil {
			return err
		}
	}
	return nil
}

// Close commits and closes the database.
func (w *Writer) Close() error {
	w.ins.Close()
	w.chunk.Close()
	if err := w.tx.Commit(); err != nil {
		w.db.Close()
		return err
	}
	return w.db.Close()
}

// Abort discards the catalog file.
func (w *Writer) Abort() {
	w.tx.Rollback()
	w.db.Close()
	os.Remove(w.path)
}

func parentOf(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return ""
}
