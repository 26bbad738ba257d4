package publish

import (
	"io"
	"sort"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
)

// Item is one entry delivered by a source, with its repository path
// ("/a/b"), POSIX mode, metadata and, for regular files, a way to read it.
type Item struct {
	Path    string
	Mode    uint32
	Size    int64
	Mtime   int64
	MtimeNs int32 // -1 if unknown
	UID     uint32
	GID     uint32
	Symlink string
	Rdev    uint64
	Xattrs  map[string][]byte
	LinkKey string // identical for members of a hard-link group
	// Open returns the content of a regular file; nil if the source
	// delivers content only through Content.
	Open func() (io.ReadCloser, error)
}

// node is an entry of the new tree.
type node struct {
	e        catalog.Entry
	xattrs   map[string][]byte
	linkKey  string
	children []*node
	parent   *node
	open     func() (io.ReadCloser, error)
	chunks   []catalog.Chunk
	digests  [][]byte // a boot pack's piece digests (setPieceDigests)
	hashed   bool     // content hash known (computed or reused)
	nested   bool     // directory is the root of a nested catalog
}

func (n *node) isDir() bool { return n.e.IsDir() }

func (n *node) child(name string) *node {
	i := sort.Search(len(n.children), func(i int) bool { return n.children[i].e.Name >= name })
	if i < len(n.children) && n.children[i].e.Name == name {
		return n.children[i]
	}
	return nil
}

// sortTree orders children by name, recursively.
func sortTree(n *node) {
	sort.Slice(n.children, func(i, j int) bool { return n.children[i].e.Name < n.children[j].e.Name })
	for _, c := range n.children {
		if c.isDir() {
			sortTree(c)
		}
	}
}

// walk visits n and its descendants in pre-order.
func walk(n *node, fn func(*node) error) error {
	if err := fn(n); err != nil {
		return err
	}
	for _, c := range n.children {
		if err := walk(c, fn); err != nil {
			return err
		}
	}
	return nil
}

func baseName(p string) string { return p[strings.LastIndexByte(p, '/')+1:] }
