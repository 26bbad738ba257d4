package fusefs

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// copyFile writes the verified content of e to dst with e's attributes.
func (w *layerWriter) copyFile(ctx context.Context, e *Node, dst string) error {
	if c := w.f.cfg.Cache; c != nil && !e.Hash.IsZero() {
		c.Acquire(e.Hash)
		defer c.Release(e.Hash)
	}
	src, err := w.s.tree.Open(ctx, e)
	if err != nil {
		return err
	}
	defer src.Close()
	return w.writeFile(dst, io.NewSectionReader(src, 0, src.Size()), e)
}

// writeFile writes a new file dst with the content of r, which must be
// e's size, and e's attributes; on failure dst is removed.
func (w *layerWriter) writeFile(dst string, r io.Reader, e *Node) error {
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(out, r)
	if err == nil && n != e.Size {
		err = fmt.Errorf("copied %d bytes, the catalog says %d", n, e.Size)
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = w.setAttrs(dst, e, false)
	}
	if err != nil {
		_ = os.Remove(dst)
	}
	return err
}

// setAttrs gives p the owner, mode and times the mount shows for e.
func (w *layerWriter) setAttrs(p string, e *Node, symlink bool) error {
	o := w.f.owner(e)
	if err := os.Lchown(p, int(o.Uid), int(o.Gid)); err != nil {
		return err
	}
	flags := 0
	if symlink {
		flags = unix.AT_SYMLINK_NOFOLLOW
	} else if err := unix.Chmod(p, e.Perm()); err != nil { // after chown: it clears set-id bits
		return err
	}
	ns := int64(0)
	if e.MtimeNs > 0 {
		ns = int64(e.MtimeNs)
	}
	t := unix.NsecToTimespec(max(e.Mtime, 0)*1e9 + ns)
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{t, t}, flags)
}

// finish sets the attributes of the directories, deepest first (writing
// into a directory changes its time).
func (w *layerWriter) finish() error {
	paths := make([]string, 0, len(w.dirs))
	for p := range w.dirs {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool {
		return strings.Count(paths[i], "/") > strings.Count(paths[j], "/")
	})
	for _, p := range paths {
		if err := w.setAttrs(w.root+p, w.dirs[p], false); err != nil {
			return fmt.Errorf("directory %q: %w", p, err)
		}
	}
	return nil
}
