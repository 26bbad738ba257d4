// Package history reads the history (tag) database of a CernVM-FS
// repository (format spec §8), stored compressed as the manifest's H
// object: schema 1.0, schema_revision 0-3, tables branches/tags/recycle_bin,
// properties fqrn, schema, schema_revision, previous_revision.
//
// OpenReadOnly opens a plain (inflated) file through internal/sqlite, a
// read-only file-format parser, so that the bootloader links no SQL engine.
// Older schema revisions (0-2) are read as the real client does (size 0,
// branch ""); tag lookups by name and by date reproduce the client's
// queries (SqlFindTag, SqlFindTagByDate).
//
// Writing (Create, read-write Open with the in-place upgrade to revision 3,
// tag changes, the trunk/trunk-previous undo tags, the reflog) lives in
// package histwrite, which uses modernc.org/sqlite and returns this
// package's Tag type and sentinel errors.
package history
