// Package manifest parses, writes, signs and verifies the CernVM-FS manifest
// `.cvmfspublished`: key lines (one letter + value), "--", the hex hash of
// the key lines, and an RSA PKCS#1 v1.5 SHA-1 signature of that hex text made
// with the repository certificate's key.
package manifest
