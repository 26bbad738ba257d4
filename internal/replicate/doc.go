// Package replicate makes a stratum-1 replica: it pulls a repository from a
// stratum-0 (or another replica) over HTTP into a local storage directory,
// the way `cvmfs_server snapshot` does (format spec §12): the manifest
// ensemble is verified first; every catalog's objects are fetched before the
// catalog itself is stored, so "catalog present" implies "subtree complete"
// and an interrupted snapshot resumes where it stopped; the history
// database, tagged root catalogs and previous revisions are followed; and
// .cvmfspublished is written last, so clients of the replica never see a
// revision whose objects are missing. Every object is hash-verified before
// it is stored.
package replicate
