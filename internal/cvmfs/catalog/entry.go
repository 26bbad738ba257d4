package catalog

import (
	"io/fs"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// Flag bits of the catalog "flags" column.
const (
	FlagDir               = 0x1
	FlagDirNestedMount    = 0x2
	FlagFile              = 0x4
	FlagLink              = 0x8
	FlagFileSpecial       = 0x10
	FlagDirNestedRoot     = 0x20
	FlagFileChunk         = 0x40
	FlagFileExternal      = 0x80
	FlagDirBindMountpoint = 0x4000
	FlagHidden            = 0x8000
	FlagDirectIO          = 0x10000

	flagHashShift = 8
	flagHashMask  = 0x7 << flagHashShift
	flagZipShift  = 11
	flagZipMask   = 0x7 << flagZipShift
)

// POSIX file type bits of st_mode.
const (
	ModeTypeMask = 0o170000
	ModeSocket   = 0o140000
	ModeSymlink  = 0o120000
	ModeRegular  = 0o100000
	ModeBlock    = 0o060000
	ModeDir      = 0o040000
	ModeChar     = 0o020000
	ModeFIFO     = 0o010000
)

// Chunk is one piece of a chunked file.
type Chunk struct {
	Offset int64
	Size   int64
	Hash   hash.Hash // object with suffix P
}

// Entry is one decoded catalog row. Path is repository-absolute ("" is the
// root, otherwise "/a/b"); Mode is the full POSIX st_mode.
type Entry struct {
	Path      string
	Name      string
	Mode      uint32
	Size      int64 // regular: content bytes; devices: the dev_t
	Mtime     int64
	MtimeNs   int32 // -1 when not recorded
	UID, GID  uint32
	Flags     uint32
	Symlink   string // raw target, variant symlinks unexpanded
	Hash      hash.Hash
	Hardlinks uint64 // group<<32 | linkcount
	HasXattrs bool
	RowID     int64
}

// Type returns the entry type letter of the canonical listing: d f l p c b s.
func (e *Entry) Type() byte {
	switch e.Mode & ModeTypeMask {
	case ModeDir:
		return 'd'
	case ModeSymlink:
		return 'l'
	case ModeFIFO:
		return 'p'
	case ModeChar:
		return 'c'
	case ModeBlock:
		return 'b'
	case ModeSocket:
		return 's'
	}
	return 'f'
}

// IsDir, IsRegular, IsSymlink report the entry type from its mode.
func (e *Entry) IsDir() bool     { return e.Mode&ModeTypeMask == ModeDir }
func (e *Entry) IsRegular() bool { return e.Mode&ModeTypeMask == ModeRegular }
func (e *Entry) IsSymlink() bool { return e.Mode&ModeTypeMask == ModeSymlink }

// IsDevice reports a character or block device.
func (e *Entry) IsDevice() bool {
	t := e.Mode & ModeTypeMask
	return t == ModeChar || t == ModeBlock
}

// IsChunked reports a file stored as chunks.
func (e *Entry) IsChunked() bool { return e.Flags&FlagFileChunk != 0 }

// IsNestedMountpoint reports the parent-catalog copy of a nested catalog root.
func (e *Entry) IsNestedMountpoint() bool { return e.Flags&FlagDirNestedMount != 0 }

// IsNestedRoot reports the root row inside a nested catalog.
func (e *Entry) IsNestedRoot() bool { return e.Flags&FlagDirNestedRoot != 0 }

// IsHidden reports entries omitted from listings.
func (e *Entry) IsHidden() bool { return e.Flags&FlagHidden != 0 }

// Compressed reports whether the content objects are zlib-compressed.
func (e *Entry) Compressed() bool { return (e.Flags&flagZipMask)>>flagZipShift == 0 }

// HashAlgorithm returns the content hash algorithm recorded in the flags.
func (e *Entry) HashAlgorithm() hash.Algorithm {
	return hash.Algorithm((e.Flags&flagHashMask)>>flagHashShift) + 1
}

// LinkCount returns the st_nlink of the entry.
func (e *Entry) LinkCount() uint32 { return uint32(e.Hardlinks & 0xffffffff) }

// HardlinkGroup returns the hard-link group id (0: none).
func (e *Entry) HardlinkGroup() uint32 { return uint32(e.Hardlinks >> 32) }

// Rdev returns major and minor of a device entry (Linux dev_t encoding).
func (e *Entry) Rdev() (major, minor uint32) {
	d := uint64(e.Size)
	major = uint32((d>>8)&0xfff) | uint32((d>>32)&^0xfff)
	minor = uint32(d&0xff) | uint32((d>>12)&^0xff)
	return
}

// Makedev encodes major and minor as a Linux dev_t.
func Makedev(major, minor uint32) uint64 {
	return uint64(minor&0xff) | uint64(major&0xfff)<<8 | uint64(minor&^0xff)<<12 | uint64(major&^0xfff)<<32
}

// Perm returns the permission bits including setuid, setgid and sticky.
func (e *Entry) Perm() uint32 { return e.Mode & 0o7777 }

// FileMode converts the POSIX mode into an io/fs.FileMode.
func (e *Entry) FileMode() fs.FileMode {
	m := fs.FileMode(e.Mode & 0o777)
	if e.Mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if e.Mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if e.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	switch e.Mode & ModeTypeMask {
	case ModeDir:
		m |= fs.ModeDir
	case ModeSymlink:
		m |= fs.ModeSymlink
	case ModeFIFO:
		m |= fs.ModeNamedPipe
	case ModeChar:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case ModeBlock:
		m |= fs.ModeDevice
	case ModeSocket:
		m |= fs.ModeSocket
	}
	return m
}

// ContentFlags computes the flags of a regular file with the given hash
// algorithm and compression.
func ContentFlags(alg hash.Algorithm, compressed bool) uint32 {
	f := uint32(alg-1) << flagHashShift
	if !compressed {
		f |= 1 << flagZipShift
	}
	return f
}
