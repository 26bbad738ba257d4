// Package history reads and writes the two SQLite bookkeeping databases of a
// CernVM-FS repository (format spec §8):
//
//   - the history (tag) database, stored compressed as the manifest's H
//     object: schema 1.0, schema_revision 3, tables branches/tags/recycle_bin,
//     properties fqrn, schema, schema_revision, previous_revision;
//   - the reflog (.cvmfsreflog, uncompressed): table refs with every root
//     catalog, certificate, history and meta-info hash ever published.
//
// Both are plain files: Create makes a new database at a path, Open opens an
// existing file read-write (callers open a private copy of the downloaded
// object, never the object itself), OpenReadOnly only reads. Older history
// schema revisions (0-2) are read as the real client does (size 0, branch
// ”); opening one read-write upgrades it to revision 3 in place.
//
// Close leaves a complete rollback-journal (journal_mode=DELETE) database
// with no -journal/-wal file next to it, ready to be compressed and hashed
// by the caller (the real client cannot open anything else). The SQL text of
// the tables is byte-identical to what cvmfs_server 2.12 writes.
//
// The special tags trunk ("current HEAD") and trunk-previous ("default undo
// target") are maintained with UpdateUndoTags; tag lookups by name and by
// date use the client's queries.
package history
