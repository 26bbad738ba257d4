// Package whitelist parses, creates, signs and verifies `.cvmfswhitelist`:
// the master-key-signed list of certificate fingerprints allowed to sign a
// repository's manifests, with an expiry date. The signature is a raw
// PKCS#1 v1.5 (type 1, no DigestInfo) signature of the hex hash text.
package whitelist
