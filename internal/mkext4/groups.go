package mkext4

import "encoding/binary"

// Block group flags.
const (
	bgInodeUninit = 0x1
	bgBlockUninit = 0x2
)

// writeGroups writes the block bitmaps of the groups that need one and
// the inode bitmap of group 0, and returns the descriptor table. It sets
// si.freeBlocks.
func (p *plan) writeGroups(fw *blockWriter, si *superInfo, seed uint32) []byte {
	ge := p.ge
	gdt := make([]byte, uint64(ge.gdtBlocks)*blockSize)
	last := ge.groups - 1
	si.freeBlocks = 0
	for g := uint32(0); g < ge.groups; g++ {
		glen := ge.groupLen(g)
		used, runs := p.a.usedIn(g, glen)
		free := glen - used
		si.freeBlocks += free
		d := gdt[uint64(g)*descSize : uint64(g+1)*descSize]
		var flags uint16
		var bbCsum, ibCsum uint32
		if g != last && used == ge.backupLen(g)+p.ownInGroup(g) {
			flags |= bgBlockUninit
		} else {
			bm := blockBitmap(g, glen, runs)
			bbCsum = crc32c(seed, bm)
			fw.write(p.bb[g], bm)
		}
		freeInodes, unused, dirs := ge.ipg, ge.ipg, uint32(0)
		if g == 0 {
			freeInodes, unused, dirs = ge.ipg-firstIno, ge.ipg-firstIno, 2
			bm := make([]byte, blockSize)
			for i := range bm {
				bm[i] = 0xFF // padding after ipg bits stays set
			}
			clear(bm[:ge.ipg/8])
			setBits(bm, 0, firstIno)
			ibCsum = crc32c(seed, bm[:ge.ipg/8])
			fw.write(p.ib[g], bm)
		} else {
			flags |= bgInodeUninit
		}
		putDesc(d, p.bb[g], p.ib[g], p.it[g], free, freeInodes, dirs, unused, flags, bbCsum, ibCsum)
		descCsum(d, seed, g)
	}
	return gdt
}

// blockBitmap returns the bitmap of group g with runs used and the bits
// past the end of a short last group set.
func blockBitmap(g uint32, glen uint64, runs []run) []byte {
	bm := make([]byte, blockSize)
	s := groupStart(g)
	for _, r := range runs {
		setBits(bm, r.start-s, r.end()-s)
	}
	setBits(bm, glen, blocksPerGroup)
	return bm
}

// setBits sets bits [from, to) of bm.
func setBits(bm []byte, from, to uint64) {
	for ; from < to && from%8 != 0; from++ {
		bm[from/8] |= 1 << (from % 8)
	}
	for ; from+8 <= to; from += 8 {
		bm[from/8] = 0xFF
	}
	for ; from < to; from++ {
		bm[from/8] |= 1 << (from % 8)
	}
}

// putDesc encodes a 64-byte group descriptor (without its checksum).
func putDesc(d []byte, bb, ib, it, freeBlocks uint64, freeInodes, dirs, unused uint32, flags uint16, bbCsum, ibCsum uint32) {
	le := binary.LittleEndian
	le.PutUint32(d[0x0:], uint32(bb))
	le.PutUint32(d[0x4:], uint32(ib))
	le.PutUint32(d[0x8:], uint32(it))
	le.PutUint16(d[0xC:], uint16(freeBlocks))
	le.PutUint16(d[0xE:], uint16(freeInodes))
	le.PutUint16(d[0x10:], uint16(dirs))
	le.PutUint16(d[0x12:], flags)
	le.PutUint16(d[0x18:], uint16(bbCsum))
	le.PutUint16(d[0x1A:], uint16(ibCsum))
	le.PutUint16(d[0x1C:], uint16(unused))
	le.PutUint32(d[0x20:], uint32(bb>>32))
	le.PutUint32(d[0x24:], uint32(ib>>32))
	le.PutUint32(d[0x28:], uint32(it>>32))
	le.PutUint16(d[0x2C:], uint16(freeBlocks>>16))
	le.PutUint16(d[0x2E:], uint16(freeInodes>>16))
	le.PutUint16(d[0x30:], uint16(dirs>>16))
	le.PutUint16(d[0x32:], uint16(unused>>16))
	le.PutUint16(d[0x38:], uint16(bbCsum>>16))
	le.PutUint16(d[0x3A:], uint16(ibCsum>>16))
}
