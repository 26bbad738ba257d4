// Package cache is the client's local content-addressed object cache.
//
// Objects are stored inflated and verified under <dir>/<xx>/<rest of hash>
// (no type suffix, like the real client). New objects are written to
// <dir>/txn/ under a temporary name and renamed into place only on Commit,
// after the caller verified them, so a crash never leaves a bad entry; stale
// temporary files are removed when the cache is opened.
//
// A quota (bytes, 0 = unmanaged) is enforced with an LRU list kept in memory:
// when an insert would exceed the limit, least-recently-used entries that are
// neither pinned (catalogs in use, user pins) nor held open are deleted until
// usage drops to half the limit. The LRU order is saved to a compact index
// file on Close; after a crash (no clean index) it is rebuilt by scanning the
// directory. One process at a time owns a cache directory (flock).
//
// Objects verified in memory are handed over with Put and written by a
// small pool of background writers (async.go); with Options.WriteBehind
// the writers hold them until the cache has been quiet for a second, so a
// cold boot's cache writes happen after the boot.
//
// The package also reads and writes the breadcrumb files
// cvmfschecksum.<fqrn> used for rollback protection and offline mounts.
package cache
