package fusefs

import (
	"context"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
)

// node is one kernel inode: a path of the revision it was looked up in.
type node struct {
	fs.Inode
	fsys *FS
	path string // "" for the root
	ent  *Node  // nil for the root: the current revision's root is used
	gen  uint64
}

var (
	_ fs.NodeLookuper       = (*node)(nil)
	_ fs.NodeGetattrer      = (*node)(nil)
	_ fs.NodeOpendirHandler = (*node)(nil)
	_ fs.NodeFlusher        = (*node)(nil)
	_ fs.NodeReadlinker     = (*node)(nil)
	_ fs.NodeOpener         = (*node)(nil)
	_ fs.NodeReader         = (*node)(nil)
	_ fs.NodeReleaser       = (*node)(nil)
	_ fs.NodeStatfser       = (*node)(nil)
	_ fs.NodeGetxattrer     = (*node)(nil)
	_ fs.NodeListxattrer    = (*node)(nil)
)

// entry returns the node's entry and the revision it belongs to.
func (n *node) entry() (*Node, *snapshot) {
	s := n.fsys.current()
	if n.ent == nil {
		return s.root, s
	}
	return n.ent, s
}

func childPath(dir, name string) string { return dir + "/" + name }

// ino derives the kernel inode number of an entry of revision gen.
func ino(gen uint64, e *Node) uint64 { return gen<<genShift | e.Inode }

func (n *node) Lookup(ctx context.Context, name string, out *fuse.EntryOut) (*fs.Inode, syscall.Errno) {
	f := n.fsys
	f.ops.lookups.Add(1)
	f.maybeUpdate()
	s := f.acquire()
	defer f.releaseSnap(s)
	p := childPath(n.path, name)
	ctx, cancel := f.opCtx(ctx)
	defer cancel()
	e := f.listings.lookup(n, s.gen, name)
	var err error
	if e == nil {
		e, err = bounded(ctx, func() (*Node, error) { return s.tree.Lookup(ctx, p) })
	}
	if err != nil {
		errno := f.errno("lookup", p, err)
		if errno == syscall.ENOENT {
			f.ops.negLookups.Add(1)
			f.record.noteMissing(p)
			out.SetEntryTimeout(f.ttl(s))
		}
		return nil, errno
	}
	if !e.IsDir() {
		f.record.noteFound(p)
	}
	f.fillAttr(s.gen, e, &out.Attr)
	out.SetEntryTimeout(f.ttl(s))
	out.SetAttrTimeout(f.ttl(s))
	child := &node{fsys: f, path: p, ent: e, gen: s.gen}
	return n.NewInode(ctx, child, fs.StableAttr{Mode: e.Mode & catalog.ModeTypeMask, Ino: out.Attr.Ino}), 0
}

func (n *node) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	n.fsys.ops.getattrs.Add(1)
	n.fsys.maybeUpdate()
	e, s := n.entry()
	gen := s.gen
	if n.ent != nil {
		gen = n.gen
	}
	n.fsys.fillAttr(gen, e, &out.Attr)
	if n.ent == nil {
		out.Attr.Ino = 1
	}
	out.SetTimeout(n.fsys.ttl(s))
	return 0
}

func (n *node) Readlink(ctx context.Context) ([]byte, syscall.Errno) {
	n.fsys.ops.readlinks.Add(1)
	e, _ := n.entry()
	if !e.IsSymlink() {
		return nil, syscall.EINVAL
	}
	n.fsys.record.noteRead(n)
	return []byte(ExpandVariant(e.Symlink, n.fsys.cfg.Env)), 0
}

func (n *node) Statfs(ctx context.Context, out *fuse.StatfsOut) syscall.Errno {
	n.fsys.ops.statfs.Add(1)
	n.fsys.statfs(out)
	return 0
}
