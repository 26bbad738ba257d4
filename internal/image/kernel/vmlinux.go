package kernel

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
	"github.com/xi2/xz"
)

// ErrNotBzImage marks a file that is not an x86 bzImage with a payload we
// can decompress.
var ErrNotBzImage = errors.New("not a bzImage")

// Payload locates the compressed kernel inside a bzImage and names its
// compression ("xz", "gzip" or "zstd").
func Payload(bz []byte) (data []byte, compression string, err error) {
	if len(bz) < 0x250 || string(bz[0x202:0x206]) != "HdrS" {
		return nil, "", fmt.Errorf("%w: no HdrS setup header", ErrNotBzImage)
	}
	setupSects := int(bz[0x1f1])
	if setupSects == 0 {
		setupSects = 4
	}
	off := uint64(setupSects+1)*512 + uint64(binary.LittleEndian.Uint32(bz[0x248:]))
	n := uint64(binary.LittleEndian.Uint32(bz[0x24c:]))
	if off+n > uint64(len(bz)) || n < 6 {
		return nil, "", fmt.Errorf("%w: payload %d+%d outside the %d-byte file", ErrNotBzImage, off, n, len(bz))
	}
	p := bz[off : off+n]
	switch {
	case bytes.HasPrefix(p, []byte{0xfd, '7', 'z', 'X', 'Z', 0}):
		return p, "xz", nil
	case bytes.HasPrefix(p, []byte{0x1f, 0x8b}):
		return p, "gzip", nil
	case bytes.HasPrefix(p, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return p, "zstd", nil
	}
	return nil, "", fmt.Errorf("%w: unsupported payload compression (magic % x)", ErrNotBzImage, p[:6])
}

// ExtractVmlinux decompresses the ELF vmlinux out of the bzImage at src and
// writes it to dst (temp name + rename).
func ExtractVmlinux(src, dst string) error {
	bz, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("vmlinux: %w", err)
	}
	p, comp, err := Payload(bz)
	if err != nil {
		return fmt.Errorf("vmlinux: %s: %w", src, err)
	}
	r, err := decompressor(p, comp)
	if err != nil {
		return fmt.Errorf("vmlinux: %s: %w", src, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".vmlinux-*")
	if err != nil {
		return fmt.Errorf("vmlinux: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return fmt.Errorf("vmlinux: decompress %s: %w", comp, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := checkELF(tmp.Name()); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

func decompressor(p []byte, comp string) (io.Reader, error) {
	switch comp {
	case "xz":
		// xi2/xz: the kernel's stream uses the x86 BCJ filter, which
		// ulikunitz/xz lacks; trailing bytes after the stream are padding.
		r, err := xz.NewReader(bytes.NewReader(p), 0)
		if err != nil {
			return nil, err
		}
		r.Multistream(false)
		return r, nil
	case "gzip":
		return gzip.NewReader(bytes.NewReader(p))
	case "zstd":
		d, err := zstd.NewReader(bytes.NewReader(p))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}
	return nil, fmt.Errorf("compression %q", comp)
}

func checkELF(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var m [4]byte
	if _, err := io.ReadFull(f, m[:]); err != nil || string(m[:]) != "\x7fELF" {
		return fmt.Errorf("vmlinux: decompressed payload is not an ELF file")
	}
	return nil
}
