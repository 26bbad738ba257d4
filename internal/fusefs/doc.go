// Package fusefs is the read-only FUSE file system of the CernVM-FS client
// and the `ucvm mount` daemon around it (go-fuse v2, fs API).
//
// The file system serves one revision of a repository at a time through the
// Tree interface (implemented by the verified reader). Inode numbers are the
// reader's (hard links share one) plus a generation offset that changes on
// every revision switch, so the kernel never mixes entries of two revisions.
// Kernel entry and attribute caches live for the catalog TTL; the kernel
// also caches symlink targets and, in no-open mode, file contents across
// opens. A directory read in listing order is read ahead: the next files
// are fetched and stored in the kernel's page cache (seqahead.go).
//
// Every operation that may touch the network runs under a deadline
// (Config.OpTimeout) and ends with EIO when the deadline passes; missing
// entries are ENOENT, everything else EIO. Nothing unverified is served: the
// Tree only yields verified bytes.
//
// The Daemon adds the local cache, breadcrumbs (rollback protection and
// offline mounts), automatic updates on TTL expiry (never to an older
// revision, never for fixed tag/root-hash mounts), magic extended
// attributes and the control socket used by `ucvm talk`.
//
// With Config.BootLayerDir the file system records what the kernel read
// (bootrecord.go) and writes it as a boot layer: a local copy of those
// files, symlinks and whiteouts of the missing names, with the mount's
// attributes, that the bootloader stacks above the mount on later boots of
// the same snapshot (bootlayer.go).
package fusefs
