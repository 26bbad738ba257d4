package mkext4

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParseSuperblock: any bytes give a superblock or ErrNotExt4, never a
// panic; what Format writes parses back.
func FuzzParseSuperblock(f *testing.F) {
	ge, _ := newGeometry(64<<20, Options{})
	si := &superInfo{label: "UROOT"}
	f.Add(encodeSuper(ge, si, 0))
	f.Add(encodeSuper(ge, si, 1))
	f.Add(make([]byte, 1024))
	f.Add([]byte{0x53, 0xEF})
	bad := encodeSuper(ge, si, 0)
	bad[0x18] = 40
	f.Add(bad)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSuperblock(b)
		if err != nil {
			return
		}
		if s.BlockSize < 1024 || s.BlockSize > 65536 {
			t.Fatalf("block size %d", s.BlockSize)
		}
		_ = s.HasErrors()
		_ = s.NeedsRecovery()
	})
}

func TestParseWritten(t *testing.T) {
	img := formatImage(t, 1<<30+3<<20, Options{Label: "UROOT", UUID: [16]byte{1, 2, 3}})
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ReadSuperblock(f)
	if err != nil {
		t.Fatal(err)
	}
	if s.Label != "UROOT" || s.UUID != [16]byte{1, 2, 3} || s.BlockSize != 4096 || s.Blocks != (1<<30+3<<20)/4096 ||
		!s.ChecksumOK || s.HasErrors() || s.NeedsRecovery() || s.Inodes < (1<<30+3<<20)/16384 || s.Inodes > (1<<30+3<<20)/16384+9*16 {
		t.Fatalf("%+v", s)
	}
	if _, err := ParseSuperblock(bytes.Repeat([]byte{0}, 1024)); err == nil {
		t.Fatal("zeros parsed")
	}
}
