// Package mkext4 formats ext4 file systems quickly and grows mounted ones
// online, so that the boot initrd needs no e2fsprogs (mke2fs, e2fsck,
// resize2fs and their C library closure).
//
// Format writes only metadata, the way `mke2fs -t ext4 -E
// lazy_itable_init=1,lazy_journal_init=1` does: inode tables and the
// journal are neither zeroed nor read. Formatting 20 GiB or 1 TiB takes
// milliseconds; the kernel zeroes the inode tables later in the
// background (ext4lazyinit). Grow calls EXT4_IOC_RESIZE_FS on the mounted
// file system. ReadSuperblock decodes the superblock, among others its
// error record, which stands in for `e2fsck -p` at boot.
//
// # On-disk format written
//
// All integers little-endian except the journal superblock (big-endian,
// jbd2). Block size 4096, block 0 starts at byte 0 (s_first_data_block 0).
//
// Features (dumpe2fs names):
//
//	compat     has_journal ext_attr dir_index
//	incompat   filetype extent 64bit flex_bg
//	ro_compat  sparse_super large_file huge_file dir_nlink extra_isize metadata_csum
//
// This is `mke2fs -t ext4` of e2fsprogs 1.47 without resize_inode: no
// reserved GDT blocks and no inode 7. The kernel still grows the file
// system online beyond what one descriptor block covers (128 GiB with
// 64-byte descriptors) by switching it to meta_bg on the fly
// (ext4_convert_meta_bg, Linux >= 3.7); tested from 1 GiB to 100 GiB.
//
// Geometry:
//
//	blocks per group     32768 (128 MiB); the last group may be shorter; a
//	                     last group smaller than its own metadata + 50
//	                     blocks is dropped (as mke2fs does)
//	inodes               size / 16384 (Options.InodeRatio), spread evenly,
//	                     rounded up to 16 per group (one inode table block)
//	inode size           256 bytes, i_extra_isize 32
//	descriptors          64 bytes each, table right after each superblock
//	superblock copies    groups 0, 1 and powers of 3, 5, 7 (sparse_super);
//	                     the primary at byte 1024 of block 0, copies at
//	                     the first byte of their group, s_block_group_nr set
//	flex groups          16 groups: the block bitmaps of all 16, then their
//	                     inode bitmaps, then their inode tables, packed at
//	                     the first free block of the flex group's first group
//	journal              internal, inode 8, size as mke2fs picks it (4 MiB
//	                     below 128 MiB ... 128 MiB for 20 GiB ... 1 GiB from
//	                     128 GiB up), starting at the middle group, as
//	                     extents of at most 32768 blocks (4 in the inode,
//	                     more through one checksummed extent leaf block);
//	                     jbd2 v2 superblock in its first block: s_first 1,
//	                     s_start 0 (empty), random s_sequence, s_uuid the
//	                     fs UUID, one user; the rest of the journal is not
//	                     written (stale data is never replayed: s_start 0,
//	                     and the kernel checksums journal blocks (csum v3)
//	                     with a seed from the new UUID)
//	reserved for root    1 % of the blocks (Options.ReservedPercent):
//	                     the scratch disk holds the self-limiting cache and
//	                     the overlay; 5 % of 1 TiB would idle 51 GiB
//	other superblock     state clean, errors=continue, max mount count -1,
//	fields               no check interval, half_md4 directory hash with a
//	                     random seed, signed hash flag, default mount
//	                     options user_xattr,acl, s_jnl_blocks = the journal
//	                     inode's i_block (backup), log2 flex size 4
//
// Block groups: group 0 and flex-group heads (which hold other groups'
// bitmaps and inode tables), groups holding the journal or directories,
// and the last group get a written block bitmap (bits past the end of a
// short last group set). Every other group is BLOCK_UNINIT: its bitmap
// is never written, the kernel derives it from the descriptors. All
// groups but 0 are INODE_UNINIT with bg_itable_unused = inodes per group;
// group 0 has a written inode bitmap (inodes 1-11 used, padding bits set)
// and bg_itable_unused = ipg - 11. No group is ITABLE_ZEROED.
//
// Inodes: only the first inode table block of group 0 is written (inodes
// 1-16). Inodes 1-10 are reserved (zero but for i_extra_isize and the
// checksum) except 2 (root, 0755, 3 links, one block: ".", "..",
// "lost+found") and 8 (journal, 0600 regular file). Inode 11 is
// lost+found (0700, 2 links, 4 blocks = 16 KiB like mke2fs: "." and ".."
// in the first, empty entries in the others). Files use extents
// (EXT4_EXTENTS_FL), timestamps are the format time, generation 0.
//
// Checksums (metadata_csum, crc32c as the kernel's ext4_chksum: CRC-32C
// without final inversion, seed = crc32c(~0, uuid)):
//
//	superblock        crc32c(~0, bytes 0..0x3FB) in s_checksum (0x3FC)
//	group descriptor  crc32c(seed, group number le32, descriptor with
//	                  bg_checksum 0) & 0xFFFF
//	block bitmap      crc32c(seed, 4096 bytes), lo/hi 16 bits in the
//	                  descriptor (0 for BLOCK_UNINIT groups)
//	inode bitmap      crc32c(seed, ipg/8 bytes) (0 for INODE_UNINIT)
//	inode             crc32c(crc32c(crc32c(seed, ino), gen), 256 bytes with
//	                  both checksum fields 0), lo at 0x7C, hi at 0x82
//	directory block   same inode seed over the block up to a 12-byte tail
//	                  entry (inode 0, rec_len 12, file type 0xDE, crc)
//	extent block      inode seed over header + 340 entries, crc after them
//
// Validation: Debian's e2fsck -fn finds nothing for 16 MiB to 1 TiB and
// odd sizes, and again after the kernel wrote thousands of files and
// grew the file system online (tests and internal/boot/bootvm).
package mkext4
