// Package object compresses, hashes and verifies CernVM-FS objects.
//
// Objects are stored as RFC 1950 zlib streams (or raw, for files published
// without compression); their name is the hash of the stored bytes. Most
// objects may use any valid zlib encoder (klauspost/compress here, for speed).
// Certificates (X) and meta-info (M) are different: a real stratum-1
// re-compresses them with C zlib and stores them under the original name, so
// they must be byte-identical to C zlib level 6. CompressExact uses the
// system zlib through cgo for exactly that (see docs/format.md).
package object
