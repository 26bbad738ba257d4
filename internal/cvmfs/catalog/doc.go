// Package catalog reads and writes CernVM-FS file catalogs: SQLite databases
// (schema 2.5, any schema revision 0-7 for reading, revision 7 for writing)
// with one row per directory entry keyed by the split MD5 of its path, a
// chunks table for chunked files, nested catalog references and the 24
// statistics counters. See docs/format.md for the layout as implemented.
package catalog
