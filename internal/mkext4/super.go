package mkext4

import (
	"encoding/binary"
	"time"
)

// Feature bits written (see doc.go).
const (
	compatHasJournal = 0x4
	compatExtAttr    = 0x8
	compatDirIndex   = 0x20

	incompatFiletype = 0x2
	incompatRecover  = 0x4
	incompatExtents  = 0x40
	incompat64bit    = 0x80
	incompatFlexBg   = 0x200

	roSparseSuper  = 0x1
	roLargeFile    = 0x2
	roHugeFile     = 0x8
	roDirNlink     = 0x20
	roExtraIsize   = 0x40
	roMetadataCsum = 0x400

	featCompat   = compatHasJournal | compatExtAttr | compatDirIndex
	featIncompat = incompatFiletype | incompatExtents | incompat64bit | incompatFlexBg
	featRO       = roSparseSuper | roLargeFile | roHugeFile | roDirNlink | roExtraIsize | roMetadataCsum
)

// superInfo is what the superblock needs besides the geometry.
type superInfo struct {
	uuid, hashSeed [16]byte
	label          string
	now            time.Time
	freeBlocks     uint64
	freeInodes     uint32
	jnlBlocks      [60]byte // copy of the journal inode's i_block
	jsize          uint64
}

// encodeSuper returns the 1024-byte superblock for the copy in group g.
func encodeSuper(ge *geometry, si *superInfo, g uint32) []byte {
	b := make([]byte, 1024)
	le := binary.LittleEndian
	now := uint32(si.now.Unix())
	le.PutUint32(b[0x0:], ge.ipg*ge.groups)
	le.PutUint32(b[0x4:], uint32(ge.blocks))
	le.PutUint32(b[0x8:], uint32(ge.reserved))
	le.PutUint32(b[0xC:], uint32(si.freeBlocks))
	le.PutUint32(b[0x10:], si.freeInodes)
	le.PutUint32(b[0x14:], 0) // first data block
	le.PutUint32(b[0x18:], 2) // 1024 << 2
	le.PutUint32(b[0x1C:], 2)
	le.PutUint32(b[0x20:], blocksPerGroup)
	le.PutUint32(b[0x24:], blocksPerGroup)
	le.PutUint32(b[0x28:], ge.ipg)
	le.PutUint32(b[0x30:], now) // s_wtime
	le.PutUint16(b[0x36:], 0xFFFF)
	le.PutUint16(b[0x38:], Magic)
	le.PutUint16(b[0x3A:], StateValid)
	le.PutUint16(b[0x3C:], 1) // errors: continue
	le.PutUint32(b[0x40:], now)
	le.PutUint32(b[0x4C:], 1) // dynamic revision
	le.PutUint32(b[0x54:], firstIno)
	le.PutUint16(b[0x58:], inodeSize)
	le.PutUint16(b[0x5A:], uint16(g))
	le.PutUint32(b[0x5C:], featCompat)
	le.PutUint32(b[0x60:], featIncompat)
	le.PutUint32(b[0x64:], featRO)
	copy(b[0x68:0x78], si.uuid[:])
	copy(b[0x78:0x88], si.label)
	le.PutUint32(b[0xE0:], journalIno)
	copy(b[0xEC:0xFC], si.hashSeed[:])
	b[0xFC] = 1 // half_md4
	b[0xFD] = 1 // s_jnl_backup_type: inode blocks
	le.PutUint16(b[0xFE:], descSize)
	le.PutUint32(b[0x100:], 0x0004|0x0008) // user_xattr, acl
	le.PutUint32(b[0x108:], now)           // s_mkfs_time
	copy(b[0x10C:0x148], si.jnlBlocks[:])
	le.PutUint32(b[0x148:], uint32(si.jsize>>32))
	le.PutUint32(b[0x14C:], uint32(si.jsize))
	le.PutUint32(b[0x150:], uint32(ge.blocks>>32))
	le.PutUint32(b[0x154:], uint32(ge.reserved>>32))
	le.PutUint32(b[0x158:], uint32(si.freeBlocks>>32))
	le.PutUint16(b[0x15C:], extraIsize)
	le.PutUint16(b[0x15E:], extraIsize)
	le.PutUint32(b[0x160:], 1) // signed directory hash
	b[0x174] = 4               // log2 flex group size
	b[0x175] = 1               // crc32c
	superCsum(b)
	return b
}
