// Package histwrite writes the SQLite bookkeeping databases of a CernVM-FS
// repository with modernc.org/sqlite: the history (tag) database (Create,
// Open read-write with the in-place upgrade of schema revisions 0-2 to 3,
// tag insert/replace/delete, the trunk/trunk-previous undo tags) and the
// reflog (.cvmfsreflog). Reading tags is package history's job, which uses
// the small pure-Go reader in internal/sqlite so that the bootloader does
// not link an SQL engine.
//
// Close leaves a complete rollback-journal (journal_mode=DELETE) database
// with no -journal/-wal file next to it, ready to be compressed and hashed
// by the caller. The SQL text of the tables is byte-identical to what
// cvmfs_server 2.12 writes.
package histwrite
