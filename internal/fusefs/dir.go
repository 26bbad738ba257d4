package fusefs

import (
	"context"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// dirHandle is an open directory: its listing, read once at opendir.
type dirHandle struct {
	list []fuse.DirEntry
	pos  int
}

var (
	_ fs.FileReaddirenter = (*dirHandle)(nil)
	_ fs.FileSeekdirer    = (*dirHandle)(nil)
)

// OpendirHandle lists the directory. Below the root the kernel may keep the
// listing in its page cache (FOPEN_CACHE_DIR): a directory's inode number
// belongs to one revision, so its listing never changes. The root keeps
// inode 1 across revisions and is listed afresh on every open.
func (n *node) OpendirHandle(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	f := n.fsys
	f.ops.opendirs.Add(1)
	f.maybeUpdate()
	s := f.acquire()
	defer f.releaseSnap(s)
	ctx, cancel := f.opCtx(ctx)
	defer cancel()
	list, err := bounded(ctx, func() ([]*Node, error) { return s.tree.ReadDir(ctx, n.path) })
	if err != nil {
		return nil, 0, f.errno("readdir", n.path, err)
	}
	f.record.noteListed(n.path)
	gen := s.gen
	f.listings.remember(n, gen, list)
	f.ahead.listed(n, gen, list)
	h := &dirHandle{list: make([]fuse.DirEntry, 0, len(list))}
	for i, e := range list {
		h.list = append(h.list, fuse.DirEntry{Name: e.Name, Mode: e.Mode, Ino: ino(gen, e), Off: uint64(i + 1)})
	}
	var fl uint32
	if n.ent != nil && n.gen == s.gen {
		fl = fuse.FOPEN_CACHE_DIR | fuse.FOPEN_KEEP_CACHE
	}
	return h, fl, 0
}

func (d *dirHandle) Readdirent(ctx context.Context) (*fuse.DirEntry, syscall.Errno) {
	if d.pos >= len(d.list) {
		return nil, 0
	}
	e := d.list[d.pos]
	d.pos++
	return &e, 0
}

func (d *dirHandle) Seekdir(ctx context.Context, off uint64) syscall.Errno {
	d.pos = int(min(off, uint64(len(d.list))))
	return 0
}

// Flush answers ENOSYS once: the kernel then stops sending FLUSH on every
// close of a read-only file (one round trip less per file).
func (n *node) Flush(ctx context.Context, fh fs.FileHandle) syscall.Errno {
	return syscall.ENOSYS
}
