// Package hash implements the content hashes of CernVM-FS 2.x: SHA-1,
// RIPEMD-160 and SHAKE-128 (160 bit) digests, their textual form with the
// algorithm identifier, object paths with type suffixes, and the split MD5 of
// repository paths used as catalog keys.
//
// The textual form of a hash is lower-case hex followed by "" (SHA-1),
// "-rmd160" or "-shake128"; parsing infers the algorithm from the length
// (32 MD5, 40 SHA-1, 47 RMD160, 49 SHAKE128). See docs/format.md.
package hash
