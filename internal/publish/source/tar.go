package source

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/sys/unix"
)

const paxXattrPrefix = "SCHILY.xattr."

// Tar is a tar stream SOURCE (plain or gzip-compressed).
type Tar struct {
	name   string // for messages
	r      io.Reader
	closer io.Closer
	opts   Options
	used   bool
}

// NewTar returns the source for a tar stream; gzip compression is detected
// from the data. name is used in error messages.
func NewTar(r io.Reader, name string, opts Options) *Tar {
	return &Tar{name: name, r: r, opts: opts}
}

// Close closes the underlying file (if Open opened one).
func (t *Tar) Close() error {
	if t.closer != nil {
		return t.closer.Close()
	}
	return nil
}

// Scan reads the archive once: content is delivered in archive order and
// the tree is built from the buffered metadata at the end.
func (t *Tar) Scan(content ContentFunc) (*Tree, error) {
	if t.used {
		return nil, fmt.Errorf("%s: a tar stream can be scanned only once", t.name)
	}
	t.used = true
	in, err := decompress(t.r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", t.name, err)
	}
	b := &tarBuilder{name: t.name, opts: t.opts, all: map[string]*Entry{}}
	tr := tar.NewReader(in)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading tar after member %q: %w", t.name, b.last, err)
		}
		e, err := b.add(h)
		if err != nil {
			return nil, err
		}
		if e != nil && e.IsRegular() && e.ContentOf == "" && content != nil {
			r := &exactReader{r: tr, left: e.Size, name: t.name + ": member " + h.Name}
			if err := content(e, r); err != nil {
				return nil, err
			}
			if _, err := io.Copy(io.Discard, r); err != nil {
				return nil, err
			}
		}
	}
	if b.count == 0 {
		return nil, fmt.Errorf("%w: %s is an empty tar archive", ErrNotSource, t.name)
	}
	b.ensureRoot()
	return newTree(b.all)
}

// decompress sniffs the gzip magic number.
func decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	magic, err := br.Peek(2)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

type tarBuilder struct {
	name  string
	opts  Options
	all   map[string]*Entry
	last  string
	count int
	group uint64
}

// cleanPath normalizes a member name to a repository path.
func cleanPath(name string) (string, error) {
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("%w: %q is absolute; create the archive with relative paths (tar -C DIR .)", ErrUnsafePath, name)
	}
	var parts []string
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "", ".":
		case "..":
			return "", fmt.Errorf("%w: %q contains '..'; create the archive without parent references", ErrUnsafePath, name)
		default:
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 {
		return "", nil
	}
	return "/" + strings.Join(parts, "/"), nil
}

// add records one member; it returns the entry (nil for ignored headers).
func (b *tarBuilder) add(h *tar.Header) (*Entry, error) {
	b.last = h.Name
	p, err := cleanPath(h.Name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.name, err)
	}
	e, err := b.entry(h, p)
	if err != nil || e == nil {
		return e, err
	}
	b.count++
	if old, dup := b.all[p]; dup {
		if !(old.IsDir() && e.IsDir()) {
			return nil, fmt.Errorf("%s: member %q appears twice; repack the archive without duplicates", b.name, h.Name)
		}
	}
	if err := b.parents(p, e); err != nil {
		return nil, err
	}
	b.all[p] = e
	return e, nil
}

func (b *tarBuilder) entry(h *tar.Header, p string) (*Entry, error) {
	e := &Entry{Path: p, Mode: uint32(h.Mode) & 07777, UID: uint32(h.Uid), GID: uint32(h.Gid),
		Mtime: h.ModTime.Unix(), MtimeNS: int32(h.ModTime.Nanosecond()), LinkCount: 1}
	if p != "" {
		e.Name = p[strings.LastIndexByte(p, '/')+1:]
	}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeRegA, tar.TypeGNUSparse:
		e.Mode |= unix.S_IFREG
		e.Size = h.Size
	case tar.TypeDir:
		e.Mode |= unix.S_IFDIR
		e.Size = 4096
	case tar.TypeSymlink:
		e.Mode |= unix.S_IFLNK
		e.Symlink, e.Size = h.Linkname, int64(len(h.Linkname))
	case tar.TypeChar, tar.TypeBlock:
		e.Mode |= map[byte]uint32{tar.TypeChar: unix.S_IFCHR, tar.TypeBlock: unix.S_IFBLK}[h.Typeflag]
		e.Rdev = unix.Mkdev(uint32(h.Devmajor), uint32(h.Devminor))
	case tar.TypeFifo:
		e.Mode |= unix.S_IFIFO
	case tar.TypeLink:
		return b.hardLink(h, e)
	case tar.TypeXGlobalHeader:
		return nil, nil
	default:
		return nil, fmt.Errorf("%s: member %q: %w: tar type %q; repack without it", b.name, h.Name, ErrUnsupported, h.Typeflag)
	}
	if p == "" && !e.IsDir() {
		return nil, fmt.Errorf("%s: member %q: the archive root must be a directory", b.name, h.Name)
	}
	return e, b.xattrs(h, e)
}

func (b *tarBuilder) xattrs(h *tar.Header, e *Entry) error {
	if !b.opts.Xattrs {
		return nil
	}
	for k, v := range h.PAXRecords {
		name, ok := strings.CutPrefix(k, paxXattrPrefix)
		if !ok || !keepXattr(name) {
			continue
		}
		if e.Xattrs == nil {
			e.Xattrs = map[string][]byte{}
		}
		e.Xattrs[name] = []byte(v)
	}
	return checkXattrs(b.name+": member "+h.Name, e.Xattrs)
}

// hardLink makes e a copy of the earlier regular member it links to.
func (b *tarBuilder) hardLink(h *tar.Header, e *Entry) (*Entry, error) {
	tp, err := cleanPath(h.Linkname)
	if err != nil {
		return nil, fmt.Errorf("%s: hard link %q: %w", b.name, h.Name, err)
	}
	target, ok := b.all[tp]
	if !ok || !target.IsRegular() {
		return nil, fmt.Errorf("%s: hard link %q points to %q, which is not an earlier regular file in the archive", b.name, h.Name, h.Linkname)
	}
	if target.inode == (inodeKey{}) {
		b.group++
		target.inode = inodeKey{dev: ^uint64(0), ino: b.group}
	}
	c := *target
	c.Path, c.Name, c.inode = e.Path, e.Name, target.inode
	c.ContentOf = target.Path
	if target.ContentOf != "" {
		c.ContentOf = target.ContentOf
	}
	return &c, nil
}

// parents creates missing ancestor directories of p.
func (b *tarBuilder) parents(p string, e *Entry) error {
	for q := parentOf(p); ; q = parentOf(q) {
		if old, ok := b.all[q]; ok {
			if !old.IsDir() {
				return fmt.Errorf("%s: member %q is below %q, which is not a directory", b.name, p, q)
			}
		} else {
			b.all[q] = b.implicitDir(q, e)
		}
		if q == "" {
			return nil
		}
	}
}

func (b *tarBuilder) implicitDir(q string, e *Entry) *Entry {
	d := &Entry{Path: q, Mode: unix.S_IFDIR | 0o755, Size: 4096, Mtime: e.Mtime, LinkCount: 1}
	if q != "" {
		d.Name = q[strings.LastIndexByte(q, '/')+1:]
	}
	return d
}

func (b *tarBuilder) ensureRoot() {
	if _, ok := b.all[""]; !ok {
		b.all[""] = b.implicitDir("", &Entry{})
	}
}
