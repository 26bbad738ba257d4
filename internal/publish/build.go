package publish

import (
	"fmt"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
)

// treeBuilder assembles Items into a tree; parents must come before
// children, which every source guarantees (directories first, sorted).
type treeBuilder struct {
	root  *node
	nodes map[string]*node
}

func newTreeBuilder() *treeBuilder {
	root := &node{e: catalog.Entry{Path: "", Mode: catalog.ModeDir | 0o755, Size: 4096, MtimeNs: -1}}
	return &treeBuilder{root: root, nodes: map[string]*node{"": root}}
}

// add inserts it; the item for "" (the root) updates the root's metadata.
func (b *treeBuilder) add(it Item) (*node, error) {
	if it.Path == "/" {
		it.Path = ""
	}
	if it.Path != "" && (!strings.HasPrefix(it.Path, "/") || strings.HasSuffix(it.Path, "/")) {
		return nil, fmt.Errorf("source entry %q: path must be absolute without trailing slash", it.Path)
	}
	e := catalog.Entry{Path: it.Path, Name: baseName(it.Path), Mode: it.Mode, Size: it.Size, Mtime: it.Mtime,
		MtimeNs: it.MtimeNs, UID: it.UID, GID: it.GID, Symlink: it.Symlink}
	if it.Path == "" {
		e.Name = ""
		b.root.e = e
		b.root.xattrs = it.Xattrs
		return b.root, nil
	}
	parentPath := it.Path[:strings.LastIndexByte(it.Path, '/')]
	parent, ok := b.nodes[parentPath]
	if !ok || !parent.isDir() {
		return nil, fmt.Errorf("source entry %q: parent directory %q missing or not a directory", it.Path, parentPath)
	}
	if _, dup := b.nodes[it.Path]; dup {
		return nil, fmt.Errorf("source entry %q appears twice", it.Path)
	}
	n := &node{e: e, xattrs: it.Xattrs, linkKey: it.LinkKey, parent: parent, open: it.Open}
	switch it.Mode & catalog.ModeTypeMask {
	case catalog.ModeChar, catalog.ModeBlock:
		n.e.Size = int64(it.Rdev)
	case catalog.ModeFIFO, catalog.ModeSocket:
		n.e.Size = 0
	case catalog.ModeSymlink:
		n.e.Size = int64(len(it.Symlink))
	}
	parent.children = append(parent.children, n)
	b.nodes[it.Path] = n
	return n, nil
}
