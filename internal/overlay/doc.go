// Package overlay reads and writes overlayfs's on-disk marks in a layer
// directory: whiteouts (a character device 0/0, or since Linux 6.7 an
// empty file with the overlay.whiteout xattr) and opaque directories (the
// overlay.opaque xattr "y"), in the trusted namespace (mounts by root)
// and the user namespace (mounts with userxattr). The rebase reads them in
// the upper layer; boot layers and boot packs write them in lower ones.
package overlay
