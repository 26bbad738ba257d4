// Package catalog reads CernVM-FS file catalogs: SQLite databases (schema
// 2.5, any schema revision 0-7) with one row per directory entry keyed by
// the split MD5 of its path, a chunks table for chunked files, nested
// catalog references and the 24 statistics counters. See docs/format.md
// for the layout as implemented.
//
// Reading goes through internal/sqlite (a read-only file-format parser, no
// SQL engine) so that the bootloader stays small; the queries of the
// original client are reproduced as index seeks (lookup by path MD5, listing
// by parent MD5, chunks by path) and table scans. Package catwrite creates
// catalogs (with modernc.org/sqlite) and shares this package's types.
package catalog
