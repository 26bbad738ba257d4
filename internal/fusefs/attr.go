package fusefs

import (
	"errors"
	"io"
	"os"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
)

// fillAttr converts a catalog entry into FUSE attributes.
func (f *FS) fillAttr(gen uint64, e *Node, out *fuse.Attr) {
	out.Ino = ino(gen, e)
	out.Mode = e.Mode
	out.Nlink = e.LinkCount()
	if out.Nlink == 0 {
		out.Nlink = 1
	}
	out.Size = uint64(max(e.Size, 0))
	switch {
	case e.IsSymlink():
		out.Size = uint64(len(ExpandVariant(e.Symlink, f.cfg.Env)))
	case e.IsDevice():
		maj, min := e.Rdev()
		out.Rdev = uint32(catalog.Makedev(maj, min))
		out.Size = 0
	case !e.IsRegular() && !e.IsDir():
		out.Size = 0
	}
	out.Blocks = (out.Size + 511) / 512
	out.Blksize = 4096
	out.Owner = f.owner(e)
	ns := uint32(0)
	if e.MtimeNs > 0 {
		ns = uint32(e.MtimeNs)
	}
	t := uint64(max(e.Mtime, 0))
	out.Mtime, out.Atime, out.Ctime = t, t, t
	out.Mtimensec, out.Atimensec, out.Ctimensec = ns, ns, ns
}

// owner applies CVMFS_CLAIM_OWNERSHIP and the uid/gid maps.
func (f *FS) owner(e *Node) fuse.Owner {
	if f.cfg.ClaimOwnership {
		return fuse.Owner{Uid: uint32(os.Getuid()), Gid: uint32(os.Getgid())}
	}
	return fuse.Owner{Uid: f.cfg.UIDMap.Map(e.UID), Gid: f.cfg.GIDMap.Map(e.GID)}
}

// sameOwner: the mount shows uid and gid as they are published.
func (f *FS) sameOwner(uid, gid uint32) bool {
	return !f.cfg.ClaimOwnership && f.cfg.UIDMap.Map(uid) == uid && f.cfg.GIDMap.Map(gid) == gid
}

// statfs reports the cache as the file system's capacity.
func (f *FS) statfs(out *fuse.StatfsOut) {
	const bs = 4096
	out.Bsize, out.Frsize, out.NameLen = bs, bs, 255
	if c := f.cfg.Cache; c != nil {
		u := c.Usage()
		total := u.Limit
		if total <= 0 {
			total = u.UsedBytes
		}
		free := max(total-u.UsedBytes, 0)
		out.Blocks, out.Bfree, out.Bavail = uint64(total/bs), uint64(free/bs), uint64(free/bs)
		out.Files = uint64(u.Entries)
	}
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }
