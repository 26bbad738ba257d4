package source

import (
	"errors"
	"fmt"
	"io"
	"path"
	"sort"

	"golang.org/x/sys/unix"
)

// Sentinel errors callers branch on.
var (
	ErrUnsafePath  = errors.New("unsafe path in archive")
	ErrChanged     = errors.New("source changed while it was read")
	ErrXattr       = errors.New("extended attribute does not fit the CernVM-FS format")
	ErrUnsupported = errors.New("unsupported source entry")
	ErrNotSource   = errors.New("not a usable SOURCE")
)

// Entry is one normalized file system object.
type Entry struct {
	Path    string // repository path: "" for the root, else "/a/b"
	Name    string // last path component, "" for the root
	Mode    uint32 // st_mode: type bits | setuid/setgid/sticky | permissions
	Size    int64  // regular: content bytes; symlink: target length; else 0
	Mtime   int64  // seconds since the epoch
	MtimeNS int32  // nanoseconds part of the mtime
	UID     uint32
	GID     uint32
	Symlink string            // raw target of a symlink
	Rdev    uint64            // device number of char/block devices (unix.Mkdev)
	Xattrs  map[string][]byte // nil when there are none

	// LinkGroup > 0 marks a hard-link group within one directory; all its
	// members share the number (unique within the tree) and LinkCount is
	// the number of members. Otherwise LinkGroup is 0 and LinkCount 1.
	LinkGroup int
	LinkCount int
	// ContentOf is non-empty for a hard link whose content was delivered
	// with another entry: the path of that entry.
	ContentOf string

	inode   inodeKey // hard-link set key while building
	srcPath string   // file system path (directory sources)
}

type inodeKey struct{ dev, ino uint64 }

// Type returns the entry type letter of `ucvm tree`: d f l p c b s.
func (e *Entry) Type() byte {
	switch e.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return 'd'
	case unix.S_IFLNK:
		return 'l'
	case unix.S_IFIFO:
		return 'p'
	case unix.S_IFCHR:
		return 'c'
	case unix.S_IFBLK:
		return 'b'
	case unix.S_IFSOCK:
		return 's'
	}
	return 'f'
}

// IsDir reports whether the entry is a directory.
func (e *Entry) IsDir() bool { return e.Mode&unix.S_IFMT == unix.S_IFDIR }

// IsRegular reports whether the entry is a regular file.
func (e *Entry) IsRegular() bool { return e.Mode&unix.S_IFMT == unix.S_IFREG }

// Parent returns the parent's repository path ("" for top-level entries).
func (e *Entry) Parent() string { return parentOf(e.Path) }

func parentOf(p string) string {
	if p == "" {
		return ""
	}
	d := path.Dir(p)
	if d == "/" {
		return ""
	}
	return d
}

// ContentFunc receives the content of a regular file; r is valid only
// during the call and yields exactly e.Size bytes. It may be called
// concurrently (directory sources with Workers > 1).
type ContentFunc func(e *Entry, r io.Reader) error

// Source is a directory or a tar stream.
type Source interface {
	// Scan reads the source once (see the package documentation); content
	// may be nil to read metadata only.
	Scan(content ContentFunc) (*Tree, error)
	// Close releases the source (files, stdin is left open).
	Close() error
}

// Tree is the complete, sorted metadata of a source.
type Tree struct {
	// Entries: root first, then depth-first with siblings sorted by name.
	Entries []*Entry
	byPath  map[string]*Entry
	kids    map[string][]*Entry
}

// Lookup returns the entry of a repository path, nil if absent.
func (t *Tree) Lookup(p string) *Entry { return t.byPath[p] }

// Children returns the direct children of a directory, sorted by name.
func (t *Tree) Children(dir string) []*Entry { return t.kids[dir] }

// Root returns the root directory entry.
func (t *Tree) Root() *Entry { return t.Entries[0] }

// newTree sorts entries (which must contain the root and every parent),
// applies the hard-link policy and indexes them.
func newTree(all map[string]*Entry) (*Tree, error) {
	t := &Tree{byPath: all, kids: map[string][]*Entry{}}
	root, ok := all[""]
	if !ok || !root.IsDir() {
		return nil, fmt.Errorf("%w: the root is not a directory", ErrNotSource)
	}
	for p, e := range all {
		if p == "" {
			continue
		}
		par, ok := all[e.Parent()]
		if !ok || !par.IsDir() {
			return nil, fmt.Errorf("%w: parent of %q is not a directory", ErrNotSource, p)
		}
		t.kids[e.Parent()] = append(t.kids[e.Parent()], e)
	}
	for _, k := range t.kids {
		sort.Slice(k, func(i, j int) bool { return k[i].Name < k[j].Name })
	}
	t.Entries = make([]*Entry, 0, len(all))
	var walk func(e *Entry)
	walk = func(e *Entry) {
		t.Entries = append(t.Entries, e)
		for _, c := range t.kids[e.Path] {
			walk(c)
		}
	}
	walk(root)
	t.applyLinkPolicy()
	return t, nil
}

// applyLinkPolicy groups hard-link set members per directory.
func (t *Tree) applyLinkPolicy() {
	type groupKey struct {
		set    inodeKey
		parent string
	}
	members := map[groupKey][]*Entry{}
	var order []groupKey
	for _, e := range t.Entries {
		e.LinkGroup, e.LinkCount = 0, 1
		if e.inode == (inodeKey{}) {
			continue
		}
		k := groupKey{e.inode, e.Parent()}
		if members[k] == nil {
			order = append(order, k)
		}
		members[k] = append(members[k], e)
	}
	next := 1
	for _, k := range order {
		m := members[k]
		if len(m) < 2 {
			continue
		}
		for _, e := range m {
			e.LinkGroup, e.LinkCount = next, len(m)
		}
		next++
	}
}
