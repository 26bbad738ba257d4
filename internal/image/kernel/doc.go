// Package kernel provides the Linux kernel that ucvm images carry: Debian's
// linux-image-amd64 fetched with apt-get download and cached per machine
// (Fetch), or a given vmlinuz + modules tree (FromTree). It extracts the
// uncompressed vmlinux from a bzImage (for fast PVH test boots) and computes
// the load order of a module dependency closure from modules.dep.
//
// The cache lives in $UCVM_CACHE or ~/.cache/ucvm and is shared by all tests
// of a machine; a file lock serialises concurrent fetches so the ~70 MB
// package is downloaded once.
package kernel
