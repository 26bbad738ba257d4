// Package sqlite reads SQLite 3 database files without an SQL engine: it
// is what the bootloader (/init) uses to read CernVM-FS catalogs and
// history databases, so that it does not link modernc.org/sqlite (writers
// still use modernc, see catalog/catwrite and history/histwrite).
//
// Supported subset of https://www.sqlite.org/fileformat2.html:
//
//   - the 100-byte header: page sizes 512-65536 (65536 stored as 1),
//     reserved bytes per page, the in-header page count when valid
//     (otherwise the file size); text encoding must be UTF-8 (UTF-16 files
//     are refused with ErrUnsupported); rollback-journal files, and WAL-mode
//     files only when no non-empty -wal file sits next to them (a hot WAL
//     may hold committed pages: refused with ErrUnsupported, checkpoint it
//     first);
//   - sqlite_master: tables (CREATE TABLE column lists with declared types,
//     DEFAULT literals, INTEGER PRIMARY KEY rowid aliases, PRIMARY KEY and
//     UNIQUE constraints giving the sqlite_autoindex_<table>_N indexes) and
//     CREATE INDEX on plain columns; views, triggers and virtual tables are
//     ignored; WITHOUT ROWID tables return ErrUnsupported when opened;
//   - table b-trees: full scans in rowid order, rowid seek, maximum rowid;
//     index b-trees: equality seek on leading columns (BINARY collation,
//     ascending; indexes with DESC columns, expressions, other collations or
//     a WHERE clause are not used for seeks), returning rowids;
//   - overflow pages, every record serial type (NULL, 1-8 byte integers,
//     REAL, the constants 0 and 1, BLOB, TEXT), REAL affinity for integers
//     stored in REAL columns, and DEFAULT values for rows stored before an
//     ALTER TABLE ADD COLUMN (CernVM-FS migrates catalogs that way).
//
// Not supported: writing, journals (a hot rollback journal is ignored: the
// file is read as it is on disk), freelist and pointer-map interpretation
// (not needed for reading), type affinity of query values (pass the storage
// class the column holds).
//
// Corrupt files end in errors wrapping ErrCorrupt, never a panic or a hang:
// page numbers are range-checked, cell offsets must lie in the content area,
// varints and records are bounds-checked, and every traversal has a page
// budget (the file's page count) and a depth limit, so loops terminate.
//
// The file is mapped read-only; Values alias the mapping, so copy them
// (Value.Bytes, Value.String) before the callback returns. A DB is safe for
// concurrent use; Close waits for running calls and later calls return
// ErrClosed. Callbacks (Scan, Get, Where) run under a read lock and must
// not call back into the same DB: collect first, then query again.
package sqlite
