// Package bootpack writes and reads boot packs: the files an OS reads
// while it boots, as one compressed read-only file system image (EROFS)
// with a manifest, which the publisher stores in the repository next to
// the OS tree (OSPATH/.ucvm_bootpack).
//
// A cold boot (empty scratch disk) would otherwise fetch those files one
// by one through the FUSE client: a request, a zlib inflate, a cache write
// and a copy to the page cache for each of a few hundred files, serialised
// with the boot. With a pack, the bootloader asks the client, before the
// overlay root is mounted, to put the pack's image into the boot layer of
// the mounted snapshot (fusefs.ApplyBootPack): one download and one file
// write. The bootloader mounts the image (loop device, erofs) and stacks
// it above the repository; the kernel decompresses only what the boot
// reads, and later boots of the snapshot mount the same image.
//
// Trust: the pack is an ordinary file of the published revision, so its
// objects' hashes are in the signed catalog and the client verifies every
// object before it writes a byte of it. The manifest lists every object of
// the image with the attributes it has there (type, mode, owner, time,
// size, content identity: the catalog hash or a digest of the chunk list,
// symlink target). The client uses the image only when every entry is
// exactly what the mounted snapshot has at that path (after its uid and
// gid maps): a pack left stale by a later publication is not used at all
// (the boot records a layer as without a pack), so the image can never
// show a file the snapshot does not have.
//
// Format (version 5), little-endian:
//
//	"UCVMBOOTPACK"  12 bytes
//	version         uint32 = 5 (readers take 2 to 5)
//	manifest size   uint32 (at most MaxManifest)
//	manifest        JSON: {"image":"erofs","entries":[...],"catalogs":[...],
//	                "carried":[...]} (see Manifest); the root "." first,
//	                parents before children
//	section size    uint32 (version 5; at most MaxCarriedSection)
//	section         (version 5) one S2 stream: the inflated databases of
//	                the carried catalogs, in order (Manifest.ReadCarried)
//	image           an EROFS file system with 4 KiB blocks, lz4hc
//	                compressed, to the end of the file
//
// The full description is in docs/format.md, "Boot pack".
//
// The image is made by mkfs.erofs (erofs-utils) from a staged copy of the
// files: no pure-Go EROFS writer exists, and Debian's tool is the one the
// kernel's driver is tested against. Version 1 (ucvm before 2026-11-23
// 14:00 UTC) was a zstd-compressed tar that the client unpacked into files;
// writing those files and the zstd decode cost the cold boot 1.8 s of CPU
// under emulation.
//
// The pack is published uncompressed (the catalog's compression flag
// "none"): the image is compressed already, and zlib over it would cost
// the boot an inflate of the whole pack.
package bootpack
