package bootpack

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// FileName is the pack's name in the OS root.
const FileName = ".ucvm_bootpack"

// Magic opens a pack (followed by the version, a little-endian uint32).
const Magic = "UCVMBOOTPACK"

// Version is the format version this package writes; it reads packs of
// versions minVersion to Version (version 3 adds whiteouts and opaque
// directories; version 4 the catalogs the entries came from; version 5
// the catalog section, see Manifest.Carried).
const Version = 5

// sectionVersion is the first version with a catalog section.
const sectionVersion = 5

const minVersion = 2

// Limits a reader enforces (a pack is foreign bytes).
const (
	MaxManifest = 16 << 20
	MaxEntries  = 100_000
	MaxFile     = 1 << 30
)

// headerSize is Magic, the version and the manifest length.
const headerSize = len(Magic) + 8

// ErrBadPack: the bytes are not a boot pack of this version.
var ErrBadPack = errors.New("not a valid boot pack")

// Entry types of a manifest. A whiteout (a character device 0/0 in the
// image, overlayfs's mark) says that the revision has no such name: a
// boot looked it up in vain, and the image answers instead of the mount.
const (
	TypeDir      = "dir"
	TypeFile     = "file"
	TypeSymlink  = "symlink"
	TypeWhiteout = "whiteout"
)

// Entry is one object of the pack's image, with the attributes the image
// gives it: those of the published revision.
type Entry struct {
	Path    string `json:"path"` // relative to the OS root; "." is the root
	Type    string `json:"type"`
	Mode    uint32 `json:"mode"` // permission bits with set-id and sticky bits (0o7777)
	UID     uint32 `json:"uid"`
	GID     uint32 `json:"gid"`
	Mtime   int64  `json:"mtime"`
	MtimeNs int32  `json:"mtime_ns,omitempty"`
	Size    int64  `json:"size,omitempty"`   // regular files
	ID      string `json:"id,omitempty"`     // regular files: content identity (Identity)
	Target  string `json:"target,omitempty"` // symlinks
	// Opaque (directories): the image holds the directory's whole subtree
	// and marks it opaque (trusted.overlay.opaque), so that overlayfs
	// does not look below it in the mount.
	Opaque bool `json:"opaque,omitempty"`
}

// Manifest lists every object of the image, parents before children.
type Manifest struct {
	Image   string  `json:"image"` // file system of the image: "erofs"
	Entries []Entry `json:"entries"`
	// Catalogs (version 4) are the catalogs the entries were read from:
	// every entry's row is in the deepest one strictly above it, an
	// opaque directory's listing in the one mounted at it, if any. A
	// client whose revision mounts a catalog with the same hash there
	// knows those entries unchanged without reading the catalog.
	Catalogs []CatalogRef `json:"catalogs,omitempty"`
	// Carried (version 5) are the catalogs whose inflated databases
	// follow the manifest, in this order (ReadCarried): those the boot
	// reads below the pack's own catalog, which a client seeds into its
	// cache instead of downloading and inflating them one by one. They
	// are trusted as the image is: the pack is a verified object of the
	// signed revision, and its builder read them verified.
	Carried []CarriedCatalog `json:"carried,omitempty"`

	section []byte // the catalog section (S2), read by ReadHeader
}

// CatalogRef names a catalog by its mount point in the repository ("" for
// the root catalog, else "/os/usr/lib") and its content hash.
type CatalogRef struct {
	Mount string `json:"mount"`
	Hash  string `json:"hash"`
}

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

// WriteHeader writes the magic, the version, the manifest and the catalog
// section; the image follows.
func WriteHeader(w io.Writer, m Manifest) error {
	if err := m.Validate(); err != nil {
		return err
	}
	if (len(m.Carried) > 0) != (len(m.section) > 0) {
		return errors.New("boot pack: carried catalogs without their section, or a section without them")
	}
	js, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if len(js) > MaxManifest {
		return fmt.Errorf("boot pack manifest of %d bytes is over the limit of %d", len(js), MaxManifest)
	}
	hdr := make([]byte, headerSize, headerSize+len(js))
	copy(hdr, Magic)
	binary.LittleEndian.PutUint32(hdr[len(Magic):], Version)
	binary.LittleEndian.PutUint32(hdr[len(Magic)+4:], uint32(len(js)))
	if _, err = w.Write(append(hdr, js...)); err != nil {
		return err
	}
	return writeSection(w, m.section)
}

// ReadHeader reads and validates the header, the manifest and (version 5)
// the catalog section from r, reading nothing beyond them: r is then at
// the first byte of the image.
func ReadHeader(r io.Reader) (Manifest, error) {
	var m Manifest
	hdr := make([]byte, headerSize)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return m, fmt.Errorf("%w: header: %v", ErrBadPack, err)
	}
	if string(hdr[:len(Magic)]) != Magic {
		return m, fmt.Errorf("%w: no %s magic (a pack of ucvm before format version 2 is a zstd stream: rebuild it with 'ucvm bootpack')", ErrBadPack, Magic)
	}
	v := binary.LittleEndian.Uint32(hdr[len(Magic):])
	if v < minVersion || v > Version {
		return m, fmt.Errorf("%w: format version %d, this ucvm reads versions %d to %d", ErrBadPack, v, minVersion, Version)
	}
	n := binary.LittleEndian.Uint32(hdr[len(Magic)+4:])
	if n > MaxManifest {
		return m, fmt.Errorf("%w: manifest of %d bytes (limit %d)", ErrBadPack, n, MaxManifest)
	}
	js := make([]byte, n)
	if _, err := io.ReadFull(r, js); err != nil {
		return m, fmt.Errorf("%w: manifest: %v", ErrBadPack, err)
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return m, fmt.Errorf("%w: manifest: %v", ErrBadPack, err)
	}
	if err := m.Validate(); err != nil {
		return m, fmt.Errorf("%w: %v", ErrBadPack, err)
	}
	if v < sectionVersion {
		if len(m.Carried) > 0 {
			return m, fmt.Errorf("%w: a version %d manifest cannot carry catalogs", ErrBadPack, v)
		}
		return m, nil
	}
	sec, err := readSection(r)
	m.section = sec
	return m, err
}

// Validate checks that the manifest describes a tree: the root first,
// clean unique paths, every parent listed (as a directory) before its
// children, known types and sane sizes.
func (m Manifest) Validate() error {
	if m.Image != ImageType {
		return fmt.Errorf("image type %q (want %q)", m.Image, ImageType)
	}
	if len(m.Entries) == 0 || m.Entries[0].Path != "." || m.Entries[0].Type != TypeDir {
		return errors.New("the first entry must be the root directory \".\"")
	}
	if len(m.Entries) > MaxEntries {
		return fmt.Errorf("%d entries (limit %d)", len(m.Entries), MaxEntries)
	}
	seen := make(map[string]string, len(m.Entries))
	for i, e := range m.Entries {
		if err := e.check(i == 0); err != nil {
			return err
		}
		if seen[e.Path] != "" {
			return fmt.Errorf("%s: listed twice", e.Path)
		}
		if i > 0 && seen[path.Dir(e.Path)] != TypeDir {
			return fmt.Errorf("%s: its directory is not listed before it", e.Path)
		}
		seen[e.Path] = e.Type
	}
	if err := checkCatalogs(m.Catalogs); err != nil {
		return err
	}
	return checkCarried(m.Carried)
}

func checkCatalogs(refs []CatalogRef) error {
	if len(refs) > MaxEntries {
		return fmt.Errorf("%d catalogs (limit %d)", len(refs), MaxEntries)
	}
	seen := make(map[string]bool, len(refs))
	for _, c := range refs {
		if err := checkRef("catalog", c.Mount, c.Hash); err != nil {
			return err
		}
		if seen[c.Mount] {
			return fmt.Errorf("catalog %q listed twice", c.Mount)
		}
		seen[c.Mount] = true
	}
	return nil
}

// checkRef checks a catalog's mount point (clean and absolute, or "" for
// the root catalog) and hash.
func checkRef(what, mount, h string) error {
	if mount != "" && (mount != path.Clean(mount) || !strings.HasPrefix(mount, "/") || mount == "/") {
		return fmt.Errorf("%s mount point %q is not a clean absolute path", what, mount)
	}
	if _, err := hash.Parse(h); err != nil {
		return fmt.Errorf("%s %q: %w", what, mount, err)
	}
	return nil
}

// Governing returns the catalogs that hold the entry e at the repository
// path p (its row; an opaque directory's listing) as listed in refs, or
// false if refs do not name them.
func Governing(refs map[string]string, p string, e Entry) ([]string, bool) {
	var row string
	found := false
	for m := range refs {
		if (m == "" || strings.HasPrefix(p, m+"/")) && (!found || len(m) > len(row)) {
			row, found = m, true
		}
	}
	if !found {
		return nil, false
	}
	out := []string{row}
	if e.Opaque {
		if _, ok := refs[p]; ok {
			out = append(out, p)
		}
	}
	return out, true
}

func (e Entry) check(root bool) error {
	if !root {
		if err := checkName(e.Path); err != nil {
			return err
		}
	}
	if e.Mode&^0o7777 != 0 || e.MtimeNs < 0 || e.MtimeNs >= 1e9 {
		return fmt.Errorf("%s: mode %o or mtime_ns %d out of range", e.Path, e.Mode, e.MtimeNs)
	}
	if e.Opaque && (e.Type != TypeDir || root) {
		return fmt.Errorf("%s: only a directory below the root can be opaque", e.Path)
	}
	switch e.Type {
	case TypeDir:
		if e.Size != 0 || e.ID != "" || e.Target != "" {
			return fmt.Errorf("%s: a directory with a size, identity or target", e.Path)
		}
	case TypeWhiteout:
		if root || e.Size != 0 || e.ID != "" || e.Target != "" {
			return fmt.Errorf("%s: a whiteout with a size, identity or target", e.Path)
		}
	case TypeFile:
		if e.ID == "" || e.Size < 0 || e.Size > MaxFile || e.Target != "" {
			return fmt.Errorf("%s: no content identity, or size %d out of range", e.Path, e.Size)
		}
	case TypeSymlink:
		if e.Target == "" || strings.IndexByte(e.Target, 0) >= 0 || len(e.Target) > 4095 || e.Size != 0 || e.ID != "" {
			return fmt.Errorf("%s: bad symlink target", e.Path)
		}
	default:
		return fmt.Errorf("%s: entry type %q (only dir, file, symlink and whiteout)", e.Path, e.Type)
	}
	return nil
}

// checkName accepts clean relative paths without "..", NUL or a leading "/".
func checkName(n string) error {
	if n == "" || n == "." || strings.HasPrefix(n, "/") || path.Clean(n) != n || strings.IndexByte(n, 0) >= 0 ||
		n == ".." || strings.HasPrefix(n, "../") || strings.Contains(n, "/../") {
		return fmt.Errorf("entry name %q: not a clean relative path", n)
	}
	return nil
}

// Counts counts the manifest's files, symlinks, whiteouts and opaque
// directories and the bytes of the files.
func (m Manifest) Counts() (files, symlinks, whiteouts, opaque int, bytes int64) {
	for _, e := range m.Entries {
		switch e.Type {
		case TypeFile:
			files++
			bytes += e.Size
		case TypeSymlink:
			symlinks++
		case TypeWhiteout:
			whiteouts++
		case TypeDir:
			if e.Opaque {
				opaque++
			}
		}
	}
	return files, symlinks, whiteouts, opaque, bytes
}

// Children returns the names of the entries of each directory.
func (m Manifest) Children() map[string][]string {
	out := map[string][]string{}
	for _, e := range m.Entries[1:] {
		d := path.Dir(e.Path)
		out[d] = append(out[d], path.Base(e.Path))
	}
	return out
}
