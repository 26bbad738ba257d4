package bootpack

import (
	"archive/tar"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// FileName is the pack's name in the OS root.
const FileName = ".ucvm_bootpack"

// paxID is the PAX record with a member's content identity.
const paxID = "UCVM.id"

// Limits a reader enforces (a pack is foreign bytes).
const (
	MaxWindow  = 8 << 20 // zstd window
	MaxMembers = 100_000
	MaxFile    = 1 << 30
)

// ErrBadPack: the bytes are not a boot pack of this version.
var ErrBadPack = errors.New("not a valid boot pack")

// Identity is the content identity of a regular file: its catalog hash,
// or for a chunked file "chunks:" and the SHA-1 of its chunk list (offset,
// size, hash of every chunk).
func Identity(h hash.Hash, chunks []catalog.Chunk) string {
	if len(chunks) == 0 {
		return h.String()
	}
	d := sha1.New()
	for _, c := range chunks {
		fmt.Fprintf(d, "%d %d %s\n", c.Offset, c.Size, c.Hash.String())
	}
	return "chunks:" + hex.EncodeToString(d.Sum(nil))
}

// Member is one entry of a pack.
type Member struct {
	Name   string // relative to the OS root, clean, no ".."
	Link   string // symlink target ("" for a regular file)
	Size   int64
	ID     string // content identity of a regular file
	IsLink bool
}

// Writer writes a pack.
type Writer struct {
	zw *zstd.Encoder
	tw *tar.Writer
}

// NewWriter starts a pack on w.
func NewWriter(w io.Writer) (*Writer, error) {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithWindowSize(MaxWindow))
	if err != nil {
		return nil, err
	}
	return &Writer{zw: zw, tw: tar.NewWriter(zw)}, nil
}

// AddFile adds a regular file; content must yield m.Size bytes.
func (w *Writer) AddFile(m Member, content io.Reader) error {
	if err := checkName(m.Name); err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: m.Name, Size: m.Size, Mode: 0o644, Format: tar.FormatPAX,
		PAXRecords: map[string]string{paxID: m.ID}}
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(w.tw, io.LimitReader(content, m.Size))
	if err == nil && n != m.Size {
		err = fmt.Errorf("%s: %d bytes, want %d", m.Name, n, m.Size)
	}
	return err
}

// AddSymlink adds a symbolic link.
func (w *Writer) AddSymlink(name, target string) error {
	if err := checkName(name); err != nil {
		return err
	}
	return w.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, Format: tar.FormatPAX})
}

// Close ends the archive and the zstd stream (not the underlying writer).
func (w *Writer) Close() error {
	if err := w.tw.Close(); err != nil {
		return err
	}
	return w.zw.Close()
}

// Reader reads the members of a pack.
type Reader struct {
	zr *zstd.Decoder
	tr *tar.Reader
	n  int
}

// NewReader reads a pack from r.
func NewReader(r io.Reader) (*Reader, error) {
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(MaxWindow),
		zstd.WithDecoderMaxMemory(MaxFile), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPack, err)
	}
	return &Reader{zr: zr, tr: tar.NewReader(zr)}, nil
}

// Next returns the next member (io.EOF after the last); the content of a
// regular file is then read from the Reader.
func (r *Reader) Next() (Member, error) {
	hdr, err := r.tr.Next()
	if err == io.EOF {
		return Member{}, io.EOF
	}
	if err != nil {
		return Member{}, fmt.Errorf("%w: %v", ErrBadPack, err)
	}
	if r.n++; r.n > MaxMembers {
		return Member{}, fmt.Errorf("%w: more than %d members", ErrBadPack, MaxMembers)
	}
	if err := checkName(hdr.Name); err != nil {
		return Member{}, fmt.Errorf("%w: %v", ErrBadPack, err)
	}
	switch hdr.Typeflag {
	case tar.TypeReg:
		id := hdr.PAXRecords[paxID]
		if id == "" || hdr.Size < 0 || hdr.Size > MaxFile {
			return Member{}, fmt.Errorf("%w: %s: no content identity or size %d out of range", ErrBadPack, hdr.Name, hdr.Size)
		}
		return Member{Name: hdr.Name, Size: hdr.Size, ID: id}, nil
	case tar.TypeSymlink:
		if hdr.Linkname == "" || strings.IndexByte(hdr.Linkname, 0) >= 0 {
			return Member{}, fmt.Errorf("%w: %s: bad link target", ErrBadPack, hdr.Name)
		}
		return Member{Name: hdr.Name, Link: hdr.Linkname, IsLink: true}, nil
	}
	return Member{}, fmt.Errorf("%w: %s: member type %q (only files and symlinks)", ErrBadPack, hdr.Name, hdr.Typeflag)
}

// Read reads the content of the current regular file.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.tr.Read(p)
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%w: %v", ErrBadPack, err)
	}
	return n, err
}

// Close releases the decoder.
func (r *Reader) Close() { r.zr.Close() }

// checkName accepts clean relative paths without "..", NUL or a leading "/".
func checkName(n string) error {
	if n == "" || n == "." || strings.HasPrefix(n, "/") || path.Clean(n) != n || strings.IndexByte(n, 0) >= 0 ||
		n == ".." || strings.HasPrefix(n, "../") || strings.Contains(n, "/../") {
		return fmt.Errorf("member name %q: not a clean relative path", n)
	}
	return nil
}
