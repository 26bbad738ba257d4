package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
)

// Sentinel errors callers branch on.
var (
	// ErrCorrupt reports a malformed database file (bad header, page number
	// out of range, loop in a b-tree, bad varint or record).
	ErrCorrupt = errors.New("sqlite: database file is corrupt")
	// ErrUnsupported reports a valid file using a feature this reader lacks.
	ErrUnsupported = errors.New("sqlite: unsupported database feature")
	// ErrNoTable reports a table or index missing from sqlite_master.
	ErrNoTable = errors.New("sqlite: no such table")
	// ErrClosed reports use of a closed database.
	ErrClosed = errors.New("sqlite: database is closed")
)

const (
	headerSize = 100
	magic      = "SQLite format 3\x00"
	maxDepth   = 64 // b-trees of a valid file are at most ~20 deep
)

// DB is a read-only SQLite 3 database file mapped into memory. It is safe
// for concurrent use; Close waits for running queries.
type DB struct {
	path     string
	mu       sync.RWMutex
	data     []byte // the mapping; nil after Close
	mapped   bool
	pageSize int
	usable   int // page size minus reserved bytes
	nPages   uint32
	tables   map[string]*Table
	indexes  map[string]*Index
}

// Open maps the database file at path read-only and loads its schema.
func Open(path string) (*DB, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() < headerSize {
		return nil, fmt.Errorf("%s: %w: %d bytes is shorter than the 100-byte header", path, ErrCorrupt, st.Size())
	}
	if st.Size() > 1<<40 {
		return nil, fmt.Errorf("%s: %w: file of %d bytes is too large", path, ErrUnsupported, st.Size())
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("%s: mmap: %w", path, err)
	}
	db, err := openData(path, data, true)
	if err != nil {
		syscall.Munmap(data)
		return nil, err
	}
	return db, nil
}

// openData opens a database held in data (mapped: data is an mmap).
func openData(path string, data []byte, mapped bool) (*DB, error) {
	db := &DB{path: path, data: data, mapped: mapped}
	if len(data) < headerSize {
		return nil, fmt.Errorf("%s: %w: %d bytes is shorter than the 100-byte header", path, ErrCorrupt, len(data))
	}
	if err := db.init(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return db, nil
}

func (db *DB) init() error {
	if err := db.parseHeader(); err != nil {
		return err
	}
	if err := db.checkWAL(); err != nil {
		return err
	}
	return db.loadSchema()
}

// parseHeader validates the 100-byte file header.
func (db *DB) parseHeader() error {
	h := db.data[:headerSize]
	if string(h[:16]) != magic {
		return fmt.Errorf("%w: not an SQLite 3 database (bad magic)", ErrCorrupt)
	}
	ps := int(binary.BigEndian.Uint16(h[16:]))
	if ps == 1 {
		ps = 65536
	}
	if ps < 512 || ps&(ps-1) != 0 {
		return fmt.Errorf("%w: page size %d", ErrCorrupt, ps)
	}
	if h[19] > 2 {
		return fmt.Errorf("%w: file format read version %d (this reader knows 1 and 2)", ErrUnsupported, h[19])
	}
	if enc := binary.BigEndian.Uint32(h[56:]); enc > 1 {
		return fmt.Errorf("%w: text encoding %d is UTF-16; convert the database to UTF-8 (sqlite3 .dump into a new UTF-8 database)", ErrUnsupported, enc)
	}
	db.pageSize, db.usable = ps, ps-int(h[20])
	if db.usable < 480 {
		return fmt.Errorf("%w: %d reserved bytes leave %d usable bytes per page", ErrCorrupt, h[20], db.usable)
	}
	n := uint64(len(db.data) / ps)
	if hn := uint64(binary.BigEndian.Uint32(h[28:])); hn > 0 && hn < n &&
		binary.BigEndian.Uint32(h[24:]) == binary.BigEndian.Uint32(h[92:]) {
		n = hn
	}
	if n == 0 || n > 1<<31-2 {
		return fmt.Errorf("%w: %d pages", ErrCorrupt, n)
	}
	db.nPages = uint32(n)
	return nil
}

// checkWAL refuses a WAL-mode database whose -wal file may hold committed
// pages this reader would not see.
func (db *DB) checkWAL() error {
	if db.data[18] != 2 && db.data[19] != 2 {
		return nil
	}
	st, err := os.Stat(db.path + "-wal")
	if err == nil && st.Size() > 32 {
		return fmt.Errorf("%w: WAL-mode database with a non-empty %s-wal; checkpoint it first (sqlite3 %s 'PRAGMA wal_checkpoint(TRUNCATE)')",
			ErrUnsupported, db.path, db.path)
	}
	return nil
}

// Close unmaps the file. Values obtained from it must not be used afterwards.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.data == nil {
		return nil
	}
	var err error
	if db.mapped {
		err = syscall.Munmap(db.data)
	}
	db.data = nil
	return err
}

// PageSize returns the database page size in bytes.
func (db *DB) PageSize() int { return db.pageSize }

// rlock takes the read lock; the caller must runlock when err is nil.
func (db *DB) rlock() error {
	db.mu.RLock()
	if db.data == nil {
		db.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (db *DB) runlock() { db.mu.RUnlock() }

// page returns page n (1-based) and the offset of its b-tree header.
func (db *DB) page(n uint32) ([]byte, int, error) {
	if n < 1 || n > db.nPages {
		return nil, 0, fmt.Errorf("%w: page %d out of range 1..%d", ErrCorrupt, n, db.nPages)
	}
	off := int64(n-1) * int64(db.pageSize)
	p := db.data[off : off+int64(db.pageSize)]
	if n == 1 {
		return p, headerSize, nil
	}
	return p, 0, nil
}
