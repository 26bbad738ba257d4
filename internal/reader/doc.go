// Package reader is the verified reader of CernVM-FS repositories. It fetches
// the manifest, certificate and whitelist through a Source, verifies the whole
// chain of trust (master key -> whitelist -> certificate -> manifest -> root
// catalog -> nested catalogs -> objects), and resolves paths, lists
// directories and reads files of one revision. Verified, inflated objects are
// kept in an ObjectCache; nothing reaches a caller before its hash and size
// were checked.
//
// Data flows one way: Source (fetch) -> verify -> ObjectCache -> Repo.
package reader
