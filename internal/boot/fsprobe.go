package boot

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"strings"
)

// FSInfo is what ProbeFS finds in a device's first blocks.
type FSInfo struct {
	Type  string // ext4 (also ext2/3), iso9660, udf, vfat, "" if unknown
	Label string
}

// ProbeFS identifies the file system on a device (or image) by its magic
// numbers, without mounting it: ext2/3/4 (label UROOT marks the scratch
// disk), iso9660, udf and vfat. A device with no known signature is Type "".
func ProbeFS(path string) (FSInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return FSInfo{}, err
	}
	defer f.Close()
	buf := make([]byte, 64*1024)
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF {
		return FSInfo{}, err
	}
	return ProbeFSBytes(buf[:n]), nil
}

// ProbeFSBytes identifies a file system from the first 64 KiB of a device.
func ProbeFSBytes(b []byte) FSInfo {
	if len(b) >= 1024+136 && binary.LittleEndian.Uint16(b[1024+56:]) == 0xEF53 {
		return FSInfo{Type: "ext4", Label: cstr(b[1024+120 : 1024+136])}
	}
	if len(b) >= 32768+2048*3 {
		for i := 0; i < 3; i++ {
			id := string(b[32768+2048*i+1 : 32768+2048*i+6])
			if id == "NSR02" || id == "NSR03" {
				return FSInfo{Type: "udf"}
			}
		}
		if string(b[32769:32774]) == "CD001" {
			for i := 0; i < 3; i++ {
				if string(b[32768+2048*i+1:32768+2048*i+6]) == "BEA01" {
					return FSInfo{Type: "udf"}
				}
			}
			return FSInfo{Type: "iso9660", Label: strings.TrimSpace(string(b[32768+40 : 32768+72]))}
		}
	}
	if len(b) >= 512 && b[510] == 0x55 && b[511] == 0xAA {
		switch {
		case bytes.HasPrefix(b[82:], []byte("FAT32")):
			return FSInfo{Type: "vfat", Label: strings.TrimSpace(string(b[71:82]))}
		case bytes.HasPrefix(b[54:], []byte("FAT")):
			return FSInfo{Type: "vfat", Label: strings.TrimSpace(string(b[43:54]))}
		}
	}
	return FSInfo{}
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// IsZero reports whether the first n bytes of path are all zero (an empty,
// never written disk or partition). Partition tables make a disk non-zero.
func IsZero(path string, n int) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	buf := make([]byte, n)
	m, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return false, err
	}
	for _, c := range buf[:m] {
		if c != 0 {
			return false, nil
		}
	}
	return true, nil
}
