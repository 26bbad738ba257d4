// Package keys creates and loads the key material of a CernVM-FS repository:
// the master key pair (<fqrn>.masterkey / <fqrn>.pub, signs the whitelist) and
// the repository key with its self-signed certificate (<fqrn>.key /
// <fqrn>.crt, signs manifests), in the PEM formats OpenSSL writes.
package keys
