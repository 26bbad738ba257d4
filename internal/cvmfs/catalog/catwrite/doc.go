// Package catwrite creates CernVM-FS catalog files (schema 2.5, revision 7)
// with modernc.org/sqlite. It is the write half of package catalog, kept
// apart so that readers (the bootloader /init above all) link only the
// small pure-Go reader in internal/sqlite, not a full SQL engine.
package catwrite
