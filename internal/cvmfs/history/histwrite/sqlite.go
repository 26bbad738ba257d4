package histwrite

import (
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"
)

var errFileExist = errors.New("file exists")

// The properties table every CernVM-FS database starts with.
const sqlProperties = `CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key))`

// openSQLite opens path with one connection (so pragmas stick) in
// rollback-journal mode. create=false requires the file to exist.
func openSQLite(path string, create, readOnly bool) (*sql.DB, error) {
	_, err := os.Stat(path)
	switch {
	case create && err == nil:
		return nil, fmt.Errorf("%s: %w (remove it or pick another path)", path, errFileExist)
	case !create && err != nil:
		return nil, err
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(DELETE)")
	q.Add("_pragma", "busy_timeout(5000)")
	mode := "rwc"
	if readOnly {
		mode = "ro"
	}
	q.Set("mode", mode)
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	if create {
		// CernVM-FS builds SQLite with 1 KiB pages; must precede any table.
		if _, err := db.Exec(`PRAGMA page_size=1024`); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// execAll runs statements in one transaction.
func execAll(db *sql.DB, stmts ...string) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	for _, s := range stmts {
		if _, err := tx.Exec(s); err != nil {
			tx.Rollback()
			return fmt.Errorf("%.40s...: %w", s, err)
		}
	}
	return tx.Commit()
}

// property returns a properties value ("" and false when absent). Values may
// be stored as TEXT or numbers; both are returned as text.
func property(db *sql.DB, key string) (string, bool, error) {
	var v sql.NullString
	err := db.QueryRow(`SELECT CAST(value AS TEXT) FROM properties WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("reading property %s: %w", key, err)
	}
	return v.String, v.Valid, nil
}

func setProperty(db *sql.DB, key, value string) error {
	_, err := db.Exec(`INSERT OR REPLACE INTO properties (key, value) VALUES (?, ?)`, key, value)
	if err != nil {
		return fmt.Errorf("setting property %s: %w", key, err)
	}
	return nil
}

// closeDB checkpoints nothing (rollback journal) and closes; afterwards the
// file is self-contained.
func closeDB(db *sql.DB, path string) error {
	if db == nil {
		return nil
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	for _, side := range []string{"-journal", "-wal"} {
		if _, err := os.Stat(path + side); err == nil {
			return fmt.Errorf("closing %s: %s file left behind", path, side)
		}
	}
	return nil
}
