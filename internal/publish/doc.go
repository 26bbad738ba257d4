// Package publish writes a new revision of a CernVM-FS repository from a
// SOURCE tree (a directory or a tar stream): file contents are chunked,
// compressed, hashed and stored as objects in parallel; catalogs are built
// per nested-catalog subtree (.cvmfscatalog markers and .cvmfsdirtab rules)
// bottom-up; unchanged files and unchanged nested catalogs of the previous
// revision are reused; finally history, reflog and the signed manifest are
// installed by package repo, .cvmfspublished last.
//
// The source describes the complete new state of the repository (not a
// diff): entries absent from it are deleted in the new revision.
package publish
