// Package bootpack writes and reads boot packs: the files an OS reads
// while it boots, in one zstd-compressed tar stream that the publisher
// stores in the repository next to the OS tree (OSPATH/.ucvm_bootpack).
//
// A cold boot (empty scratch disk) would otherwise fetch those files one
// by one through the FUSE client: a request, a zlib inflate, a cache write
// and a copy to the page cache for each of a few hundred files, serialised
// with the boot. With a pack, the bootloader asks the client, before the
// overlay root is mounted, to unpack it into the boot layer of the mounted
// snapshot (fusefs.ApplyBootPack): one download, a zstd decode and plain
// file writes, after which the boot runs as a warm one does.
//
// Trust: the pack is an ordinary file of the published revision, so its
// objects' hashes are in the signed catalog and the client verifies every
// object before it unpacks a byte of it. Each member also names the
// content identity of the file it copies (the catalog hash, or a digest of
// the chunk list); the client copies a member only when the mounted
// snapshot has that path as a regular file (or symlink) with the same
// identity and size. A stale pack is harmless: its stale members are
// skipped and those files come through the mount.
//
// Format (version 1): a zstd stream (window ≤ 8 MiB) of a POSIX tar
// archive (PAX). Members, in boot order:
//
//	regular file  name = path relative to the OS root, size, content;
//	              PAX record UCVM.id = content identity (see Identity)
//	symbolic link name, linkname = the target as published
//
// Other member types, absolute names and names with ".." are refused.
// Owners, modes and times in the tar headers are informational: the
// client gives the copies the attributes the mount shows.
//
// The pack is published uncompressed (the catalog's compression flag
// "none"): it is compressed already, and zlib over zstd would cost the
// boot an inflate of the whole pack.
package bootpack
