package mkext4

import (
	"encoding/binary"
	"hash/crc32"
	"sync"
)

// castagnoli is made on first use, not at package init: with SSE4.2 Go
// builds its tables by checksumming 12 MB, 2.4 M instructions (0.01 s
// under emulation) in every start of the bootloader binary, which
// formats a file system only on a first boot.
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// crc32c is the kernel's ext4_chksum: CRC32-C without the final
// inversion, continuing from crc (Go's crc32 inverts on entry and exit).
func crc32c(crc uint32, p []byte) uint32 {
	return ^crc32.Update(^crc, castagnoli(), p)
}

func le32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// csumSeed is the checksum seed of all metadata: crc32c(~0, uuid).
func csumSeed(uuid [16]byte) uint32 { return crc32c(^uint32(0), uuid[:]) }

// inodeSeed is the per-inode seed: the fs seed over inode number and
// generation.
func inodeSeed(seed, ino, gen uint32) uint32 {
	return crc32c(crc32c(seed, le32(ino)), le32(gen))
}

// inodeCsum sets i_checksum_lo/hi of a 256-byte inode.
func inodeCsum(b []byte, seed, ino uint32) {
	binary.LittleEndian.PutUint16(b[0x7C:], 0)
	binary.LittleEndian.PutUint16(b[0x82:], 0)
	c := crc32c(inodeSeed(seed, ino, binary.LittleEndian.Uint32(b[0x64:])), b[:inodeSize])
	binary.LittleEndian.PutUint16(b[0x7C:], uint16(c))
	binary.LittleEndian.PutUint16(b[0x82:], uint16(c>>16))
}

// descCsum sets bg_checksum of the 64-byte descriptor of group g.
func descCsum(d []byte, seed, g uint32) {
	binary.LittleEndian.PutUint16(d[0x1E:], 0)
	c := crc32c(crc32c(seed, le32(g)), d[:descSize])
	binary.LittleEndian.PutUint16(d[0x1E:], uint16(c))
}

// superCsum sets s_checksum of a 1024-byte superblock.
func superCsum(sb []byte) {
	binary.LittleEndian.PutUint32(sb[0x3FC:], crc32c(^uint32(0), sb[:0x3FC]))
}

// dirTail writes the checksummed fake entry at the end of a directory
// block of inode ino.
func dirTail(blk []byte, seed, ino uint32) {
	t := blk[blockSize-12:]
	clear(t)
	binary.LittleEndian.PutUint16(t[4:], 12)
	t[7] = 0xDE
	binary.LittleEndian.PutUint32(t[8:], crc32c(inodeSeed(seed, ino, 0), blk[:blockSize-12]))
}
