package bootpack

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/s2"
)

// Limits of the carried catalogs (version 5): what a reader accepts, and
// how much a build carries at most (further catalogs are left to the
// network).
const (
	MaxCarried        = 256 << 20 // inflated bytes
	MaxCarriedSection = 64 << 20  // compressed bytes
	CarryBudget       = 64 << 20  // inflated bytes a build carries
)

// CarriedCatalog is a catalog whose inflated database the pack carries
// (Manifest.Carried), Bytes long, in the catalog section.
type CarriedCatalog struct {
	Mount string `json:"mount"`
	Hash  string `json:"hash"`
	Bytes int64  `json:"bytes"`
}

// checkCarried: clean mount points, valid unique hashes, sizes in range.
func checkCarried(cs []CarriedCatalog) error {
	var total int64
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		if err := checkRef("carried catalog", c.Mount, c.Hash); err != nil {
			return err
		}
		if seen[c.Hash] || c.Bytes <= 0 {
			return fmt.Errorf("carried catalog %s: listed twice or empty", c.Hash)
		}
		seen[c.Hash] = true
		if total += c.Bytes; total > MaxCarried {
			return fmt.Errorf("carried catalogs of more than %d bytes", MaxCarried)
		}
	}
	return nil
}

// compressCarried makes the catalog section's content: the databases in
// order, as one S2 stream (klauspost/compress/s2, Snappy's successor):
// SQLite pages of catalogs share much, and S2 decodes ~6x faster than the
// zlib of the catalogs' own objects, with a decoder small enough for the
// bootloader's binary: 66 KB against zstd's 300 KB, which every boot
// would load for a decoder only a cold one runs.
func compressCarried(dbs [][]byte) ([]byte, error) {
	var buf bytes.Buffer
	w := s2.NewWriter(&buf, s2.WriterBetterCompression(), s2.WriterConcurrency(1))
	for _, db := range dbs {
		if _, err := w.Write(db); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeSection writes the section's length (uint32) and the section.
func writeSection(w io.Writer, sec []byte) error {
	if len(sec) > MaxCarriedSection {
		return fmt.Errorf("boot pack catalog section of %d bytes is over the limit of %d", len(sec), MaxCarriedSection)
	}
	var n [4]byte
	binary.LittleEndian.PutUint32(n[:], uint32(len(sec)))
	_, err := w.Write(append(n[:], sec...))
	return err
}

// readSection reads the catalog section that follows a version 5
// manifest.
func readSection(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, fmt.Errorf("%w: catalog section: %v", ErrBadPack, err)
	}
	size := binary.LittleEndian.Uint32(n[:])
	if size > MaxCarriedSection {
		return nil, fmt.Errorf("%w: catalog section of %d bytes (limit %d)", ErrBadPack, size, MaxCarriedSection)
	}
	sec := make([]byte, size)
	if _, err := io.ReadFull(r, sec); err != nil {
		return nil, fmt.Errorf("%w: catalog section: %v", ErrBadPack, err)
	}
	return sec, nil
}

// ReadCarried decodes the carried catalogs and calls fn with each one's
// database (exactly c.Bytes bytes; what fn leaves unread is skipped). A
// section that does not decode to the listed sizes is ErrBadPack.
func (m Manifest) ReadCarried(fn func(c CarriedCatalog, db io.Reader) error) error {
	if len(m.Carried) == 0 {
		return nil
	}
	dec := s2.NewReader(bytes.NewReader(m.section))
	for _, c := range m.Carried {
		lr := &io.LimitedReader{R: dec, N: c.Bytes}
		if err := fn(c, lr); err != nil {
			return fmt.Errorf("carried catalog %s: %w", c.Hash, err)
		}
		if _, err := io.Copy(io.Discard, lr); err != nil || lr.N != 0 {
			return fmt.Errorf("%w: carried catalog %s: short or undecodable (%v)", ErrBadPack, c.Hash, err)
		}
	}
	if n, err := io.Copy(io.Discard, io.LimitReader(dec, 1)); n != 0 || err != nil {
		return fmt.Errorf("%w: catalog section: data after the carried catalogs (%v)", ErrBadPack, err)
	}
	return nil
}
