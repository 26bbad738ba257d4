package mkext4

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"
)

// Superblock constants.
const (
	Magic      = 0xEF53
	StateValid = 0x1 // cleanly unmounted
	StateError = 0x2 // errors detected
	superOff   = 1024
)

// Superblock is the part of an ext2/3/4 superblock the bootloader looks
// at: identity, size and the error record the kernel keeps.
type Superblock struct {
	Label          string
	UUID           [16]byte
	BlockSize      uint32
	Blocks         uint64
	FreeBlocks     uint64
	Inodes         uint32
	State          uint16 // StateValid, StateError bits
	ErrorCount     uint32 // s_error_count
	FirstError     time.Time
	FirstErrorFunc string
	LastError      time.Time
	LastErrorFunc  string
	Compat         uint32
	Incompat       uint32
	ROCompat       uint32
	ChecksumOK     bool // metadata_csum: s_checksum matches (true without metadata_csum)
}

// HasErrors reports whether the kernel or e2fsck recorded errors.
func (s *Superblock) HasErrors() bool { return s.State&StateError != 0 || s.ErrorCount > 0 }

// NeedsRecovery reports whether the journal holds transactions to replay.
func (s *Superblock) NeedsRecovery() bool { return s.Incompat&incompatRecover != 0 }

// ParseSuperblock decodes the 1024 bytes of a superblock.
func ParseSuperblock(b []byte) (*Superblock, error) {
	if len(b) < 1024 {
		return nil, fmt.Errorf("%w: %d bytes, need 1024", ErrNotExt4, len(b))
	}
	le := binary.LittleEndian
	if m := le.Uint16(b[0x38:]); m != Magic {
		return nil, fmt.Errorf("%w: magic %#04x", ErrNotExt4, m)
	}
	logBS := le.Uint32(b[0x18:])
	if logBS > 6 {
		return nil, fmt.Errorf("%w: block size 1024<<%d", ErrNotExt4, logBS)
	}
	s := &Superblock{
		Label: cstr(b[0x78:0x88]), BlockSize: 1024 << logBS,
		Blocks:     uint64(le.Uint32(b[0x4:])),
		FreeBlocks: uint64(le.Uint32(b[0xC:])),
		Inodes:     le.Uint32(b[0x0:]),
		State:      le.Uint16(b[0x3A:]),
		Compat:     le.Uint32(b[0x5C:]), Incompat: le.Uint32(b[0x60:]), ROCompat: le.Uint32(b[0x64:]),
		ErrorCount:     le.Uint32(b[0x194:]),
		FirstErrorFunc: cstr(b[0x1A8:0x1C8]),
		LastErrorFunc:  cstr(b[0x1E0:0x200]),
		ChecksumOK:     true,
	}
	copy(s.UUID[:], b[0x68:0x78])
	if t := le.Uint32(b[0x198:]); t != 0 {
		s.FirstError = time.Unix(int64(t), 0)
	}
	if t := le.Uint32(b[0x1CC:]); t != 0 {
		s.LastError = time.Unix(int64(t), 0)
	}
	if s.Incompat&incompat64bit != 0 {
		s.Blocks |= uint64(le.Uint32(b[0x150:])) << 32
		s.FreeBlocks |= uint64(le.Uint32(b[0x158:])) << 32
	}
	if s.ROCompat&roMetadataCsum != 0 {
		s.ChecksumOK = le.Uint32(b[0x3FC:]) == crc32c(^uint32(0), b[:0x3FC])
	}
	return s, nil
}

// ReadSuperblock reads the primary superblock of a device or image.
func ReadSuperblock(r io.ReaderAt) (*Superblock, error) {
	b := make([]byte, 1024)
	if _, err := r.ReadAt(b, superOff); err != nil {
		return nil, fmt.Errorf("read superblock: %w", err)
	}
	return ParseSuperblock(b)
}

// ReadSuperblockFile reads the primary superblock of the device at path.
func ReadSuperblockFile(path string) (*Superblock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s, err := ReadSuperblock(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}
