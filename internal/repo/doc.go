// Package repo manages a repository's storage directory (the stratum-0
// layout served over HTTP: .cvmfspublished, .cvmfswhitelist, .cvmfsreflog,
// .cvmfs_master_replica, data/00..ff, data/txn) and its keys: creating a
// repository, renewing the whitelist, storing objects atomically, and
// signing and installing a new revision with .cvmfspublished written last.
package repo
