package mkext4

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Sentinel errors.
var (
	ErrTooSmall  = errors.New("mkext4: device too small")
	ErrTooBig    = errors.New("mkext4: device too big")
	ErrBadOption = errors.New("mkext4: bad option")
	ErrNoSpace   = errors.New("mkext4: metadata does not fit")
	ErrNotExt4   = errors.New("mkext4: not an ext2/3/4 superblock")
)

// Options tune Format. The zero value gives the defaults of doc.go.
type Options struct {
	Label           string   // volume label, at most 16 bytes
	UUID            [16]byte // file system UUID; random when zero
	InodeRatio      uint32   // bytes per inode (default 16384, at least 4096)
	JournalBlocks   uint32   // journal size in 4 KiB blocks (default: like mke2fs)
	ReservedPercent float64  // blocks reserved for root: 0 = 1 %, negative = none
	Now             time.Time
}

// Format writes a new, empty ext4 file system of size bytes to w (a
// partition, a disk or an image file). Only metadata is written: inode
// tables and the journal are left as they are and marked uninitialised,
// so formatting takes milliseconds whatever the size. If w has a Sync
// method, it is called at the end.
func Format(w io.WriterAt, size int64, o Options) error {
	if len(o.Label) > 16 {
		return fmt.Errorf("%w: label %q longer than 16 bytes", ErrBadOption, o.Label)
	}
	if o.InodeRatio != 0 && (o.InodeRatio < 4096 || o.InodeRatio > 1<<26) {
		return fmt.Errorf("%w: inode ratio %d (4096 to 64 MiB)", ErrBadOption, o.InodeRatio)
	}
	ge, err := newGeometry(size, o)
	if err != nil {
		return err
	}
	p, err := newPlan(ge)
	if err != nil {
		return err
	}
	si := &superInfo{uuid: o.UUID, label: o.Label, now: o.Now}
	var jseq [4]byte
	if si.uuid == [16]byte{} {
		rand.Read(si.uuid[:])
		si.uuid[6] = si.uuid[6]&0x0F | 0x40 // version 4
		si.uuid[8] = si.uuid[8]&0x3F | 0x80
	}
	rand.Read(si.hashSeed[:])
	rand.Read(jseq[:])
	if si.now.IsZero() {
		si.now = time.Now()
	}
	fw := &blockWriter{w: w}
	seed := csumSeed(si.uuid)
	p.writeFiles(fw, si, seed, binary.LittleEndian.Uint32(jseq[:])|1)
	gdt := p.writeGroups(fw, si, seed)
	for g := uint32(0); g < ge.groups; g++ {
		if !hasBackup(g) || g == 0 {
			continue
		}
		fw.write(groupStart(g), encodeSuper(ge, si, g))
		fw.write(groupStart(g)+1, gdt)
	}
	fw.write(1, gdt)
	blk0 := make([]byte, blockSize)
	copy(blk0[superOff:], encodeSuper(ge, si, 0))
	fw.write(0, blk0)
	if fw.err != nil {
		return fmt.Errorf("mkext4: write: %w", fw.err)
	}
	if s, ok := w.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			return fmt.Errorf("mkext4: sync: %w", err)
		}
	}
	return nil
}

// blockWriter writes blocks and keeps the first error.
type blockWriter struct {
	w   io.WriterAt
	err error
}

func (bw *blockWriter) write(blk uint64, b []byte) {
	if bw.err == nil {
		_, bw.err = bw.w.WriteAt(b, int64(blk)*blockSize)
	}
}

// writeFiles writes the inodes 1-11 (the first inode table block of
// group 0), the directories and the journal superblock, and fills in the
// free inode count and journal backup of si.
func (p *plan) writeFiles(fw *blockWriter, si *superInfo, seed, jseq uint32) {
	now := uint32(si.now.Unix())
	inodes := make([]inode, firstIno+1)
	j := &inodes[journalIno]
	*j = inode{mode: modeReg | 0o600, links: 1, size: uint64(p.ge.jblocks) * blockSize, blocks: uint64(p.ge.jblocks)}
	if leaf := j.extentTree(p.journal, p.jleaf, seed, journalIno); leaf != nil {
		fw.write(p.jleaf, leaf)
	}
	si.jnlBlocks, si.jsize = j.iblock, j.size
	inodes[rootIno] = inode{mode: modeDir | 0o755, links: 3, size: blockSize, blocks: 1}
	inodes[rootIno].extentTree([]run{{p.rootBlk, 1}}, 0, seed, rootIno)
	inodes[lostFoundIno] = inode{mode: modeDir | 0o700, links: 2, size: lostFoundBlks * blockSize, blocks: lostFoundBlks}
	inodes[lostFoundIno].extentTree([]run{{p.lfBlk, lostFoundBlks}}, 0, seed, lostFoundIno)
	itb := make([]byte, blockSize)
	for ino := uint32(1); ino <= firstIno; ino++ {
		copy(itb[(ino-1)*inodeSize:], inodes[ino].encode(ino, seed, now))
	}
	fw.write(p.it[0], itb)
	root, lf := dirBlocks(seed)
	fw.write(p.rootBlk, root)
	for i, b := range lf {
		fw.write(p.lfBlk+uint64(i), b)
	}
	fw.write(p.journal[0].start, journalSuper(p.ge.jblocks, jseq, si.uuid))
	si.freeInodes = p.ge.ipg*p.ge.groups - firstIno
}
