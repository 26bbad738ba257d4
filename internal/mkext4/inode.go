package mkext4

import (
	"encoding/binary"
)

const (
	extentMagic    = 0xF30A
	flagExtents    = 0x80000
	modeDir        = 0o040000
	modeReg        = 0o100000
	maxLeafExtents = (blockSize - 12 - 4) / 12 // 340 (4 bytes tail)
	jbd2Magic      = 0xC03B3998
	jbd2SuperV2    = 4
)

// inode is the content of one inode written by Format.
type inode struct {
	mode   uint16
	links  uint16
	size   uint64
	blocks uint64 // 4 KiB blocks incl. extent tree blocks
	extent bool   // i_block holds an extent tree
	iblock [60]byte
}

// encode returns the 256-byte on-disk inode with its checksum.
func (in *inode) encode(ino, seed, now uint32) []byte {
	b := make([]byte, inodeSize)
	le := binary.LittleEndian
	le.PutUint16(b[0x0:], in.mode)
	le.PutUint32(b[0x4:], uint32(in.size))
	if in.mode != 0 {
		for _, o := range []int{0x8, 0xC, 0x10, 0x90} { // atime ctime mtime crtime
			le.PutUint32(b[o:], now)
		}
	}
	le.PutUint16(b[0x1A:], in.links)
	sectors := in.blocks * (blockSize / 512)
	le.PutUint32(b[0x1C:], uint32(sectors))
	le.PutUint16(b[0x74:], uint16(sectors>>32))
	if in.extent {
		le.PutUint32(b[0x20:], flagExtents)
	}
	copy(b[0x28:0x64], in.iblock[:])
	le.PutUint32(b[0x6C:], uint32(in.size>>32))
	le.PutUint16(b[0x80:], extraIsize)
	inodeCsum(b, seed, ino)
	return b
}

// putExtentHeader writes an extent tree header.
func putExtentHeader(b []byte, entries, maxEntries, depth uint16) {
	le := binary.LittleEndian
	le.PutUint16(b[0:], extentMagic)
	le.PutUint16(b[2:], entries)
	le.PutUint16(b[4:], maxEntries)
	le.PutUint16(b[6:], depth)
}

// putExtents writes leaf entries for runs, logical blocks from 0.
func putExtents(b []byte, runs []run) {
	le := binary.LittleEndian
	var logical uint32
	for i, r := range runs {
		e := b[12*i:]
		le.PutUint32(e[0:], logical)
		le.PutUint16(e[4:], uint16(r.n))
		le.PutUint16(e[6:], uint16(r.start>>32))
		le.PutUint32(e[8:], uint32(r.start))
		logical += uint32(r.n)
	}
}

// extentTree fills in.iblock for runs: up to 4 extents in the inode, else
// one index entry to leaf, whose checksummed block is returned.
func (in *inode) extentTree(runs []run, leaf uint64, seed, ino uint32) []byte {
	in.extent = true
	if len(runs) <= 4 {
		putExtentHeader(in.iblock[:], uint16(len(runs)), 4, 0)
		putExtents(in.iblock[12:], runs)
		return nil
	}
	putExtentHeader(in.iblock[:], 1, 4, 1)
	le := binary.LittleEndian
	le.PutUint32(in.iblock[12+0:], 0)
	le.PutUint32(in.iblock[12+4:], uint32(leaf))
	le.PutUint16(in.iblock[12+8:], uint16(leaf>>32))
	blk := make([]byte, blockSize)
	putExtentHeader(blk, uint16(len(runs)), maxLeafExtents, 0)
	putExtents(blk[12:], runs)
	tail := 12 + 12*maxLeafExtents
	le.PutUint32(blk[tail:], crc32c(inodeSeed(seed, ino, 0), blk[:tail]))
	in.blocks++
	return blk
}

// putDirent writes a directory entry and returns the next offset.
func putDirent(b []byte, off int, ino uint32, recLen int, name string, ftype byte) int {
	le := binary.LittleEndian
	le.PutUint32(b[off:], ino)
	le.PutUint16(b[off+4:], uint16(recLen))
	b[off+6] = byte(len(name))
	b[off+7] = ftype
	copy(b[off+8:], name)
	return off + recLen
}

// dirBlocks returns the root directory block and the lost+found blocks.
func dirBlocks(seed uint32) (root []byte, lf [][]byte) {
	const ftDir = 2
	root = make([]byte, blockSize)
	o := putDirent(root, 0, rootIno, 12, ".", ftDir)
	o = putDirent(root, o, rootIno, 12, "..", ftDir)
	putDirent(root, o, lostFoundIno, blockSize-12-o, "lost+found", ftDir)
	dirTail(root, seed, rootIno)
	for i := 0; i < lostFoundBlks; i++ {
		b := make([]byte, blockSize)
		if i == 0 {
			o := putDirent(b, 0, lostFoundIno, 12, ".", ftDir)
			putDirent(b, o, rootIno, blockSize-12-o, "..", ftDir)
		} else {
			putDirent(b, 0, 0, blockSize-12, "", 0)
		}
		dirTail(b, seed, lostFoundIno)
		lf = append(lf, b)
	}
	return root, lf
}

// journalSuper returns the jbd2 v2 superblock (big-endian) of an internal
// journal of n blocks that is empty (s_start 0: nothing to replay).
func journalSuper(n, sequence uint32, uuid [16]byte) []byte {
	b := make([]byte, blockSize)
	be := binary.BigEndian
	be.PutUint32(b[0x0:], jbd2Magic)
	be.PutUint32(b[0x4:], jbd2SuperV2)
	be.PutUint32(b[0xC:], blockSize)
	be.PutUint32(b[0x10:], n)
	be.PutUint32(b[0x14:], 1) // s_first
	be.PutUint32(b[0x18:], sequence)
	copy(b[0x30:0x40], uuid[:])
	be.PutUint32(b[0x40:], 1) // s_nr_users
	return b
}
