package fusefs

import (
	"context"
	"os"
	"sort"
	"strings"

	"github.com/ucvm/ucvm/internal/bootpack"
)

// Bounds of what a boot layer holds beyond the files a boot read.
const (
	// foundMaxSize: a file the boot looked up without reading it (a stat,
	// an access check) is added up to this size.
	foundMaxSize = 64 << 10
	// completeMaxEntries and completeMaxBytes bound one listed directory
	// made complete: entries of its whole subtree, bytes of the files not
	// in the layer yet.
	completeMaxEntries = 512
	completeMaxBytes   = 1 << 20
	// extraMaxBytes bounds all files added for lookups and complete
	// directories together.
	extraMaxBytes = 16 << 20
)

// has reports whether the layer holds repository path p already.
func (w *layerWriter) has(p string) bool {
	_, err := os.Lstat(w.root + p)
	return err == nil
}

// addFound adds a small file or a symlink the boot looked up but did not
// read: overlayfs then answers its lookups from the layer. A file that
// cannot be fetched now is left to the mount.
func (w *layerWriter) addFound(ctx context.Context, p string) error {
	if w.has(p) {
		return nil
	}
	e, err := w.s.tree.Lookup(ctx, p)
	if err != nil || !bootpack.Representable(e) || e.IsDir() {
		return nil
	}
	if e.IsRegular() && (e.Size > foundMaxSize || w.extra+e.Size > extraMaxBytes) {
		return nil
	}
	if err := w.addRead(ctx, p, e); err != nil {
		return ctx.Err()
	}
	if e.IsRegular() {
		w.extra += e.Size
	}
	return nil
}

// complete makes the directories the boot listed complete in the layer
// where that is cheap: every entry of the directory's subtree is added
// and the directory is marked opaque when the layer is published, so
// that overlayfs lists it and looks names up in it without asking the
// mount. Parents go first; a directory below a complete one is complete
// already.
func (w *layerWriter) complete(ctx context.Context, listed []string) error {
	dirs := append([]string(nil), listed...)
	sort.SliceStable(dirs, func(i, j int) bool { return strings.Count(dirs[i], "/") < strings.Count(dirs[j], "/") })
	for _, d := range dirs {
		if w.covered(d) {
			continue
		}
		plan, ok := w.plan(ctx, d)
		if !ok {
			continue
		}
		if err := w.addAll(ctx, plan); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue // what was added is correct, only not complete
		}
		w.opaque = append(w.opaque, d)
		w.info.Opaque++
	}
	return nil
}

// covered reports whether d is below (or is) a complete directory.
func (w *layerWriter) covered(d string) bool {
	for _, o := range w.opaque {
		if d == o || strings.HasPrefix(d, o+"/") || o == "" {
			return true
		}
	}
	return false
}

// planned is one entry of a directory subtree to complete.
type planned struct {
	path string
	e    *Node
}

// plan lists the subtree of d, directories before their entries, if all
// of it can be held by the layer within the bounds.
func (w *layerWriter) plan(ctx context.Context, d string) ([]planned, bool) {
	root, err := w.s.tree.Lookup(ctx, d)
	if err != nil || !root.IsDir() || !bootpack.Representable(root) {
		return nil, false
	}
	out := []planned{{d, root}}
	var bytes int64
	for i := 0; i < len(out); i++ {
		if !out[i].e.IsDir() {
			continue
		}
		list, err := w.s.tree.ReadDir(ctx, out[i].path)
		if err != nil || len(out)+len(list) > completeMaxEntries {
			return nil, false
		}
		for _, e := range list {
			p := childPath(out[i].path, e.Name)
			if !bootpack.Representable(e) {
				return nil, false
			}
			if e.IsRegular() && !w.has(p) {
				bytes += e.Size
			}
			out = append(out, planned{p, e})
		}
	}
	if bytes > completeMaxBytes || w.extra+bytes > extraMaxBytes {
		return nil, false
	}
	return out, true
}

// addAll adds the planned entries the layer does not hold yet.
func (w *layerWriter) addAll(ctx context.Context, plan []planned) error {
	for _, p := range plan {
		switch {
		case p.e.IsDir():
			if err := w.ensureDir(ctx, p.path); err != nil {
				return err
			}
		case w.has(p.path):
		default:
			if err := w.addRead(ctx, p.path, p.e); err != nil {
				return err
			}
			if p.e.IsRegular() {
				w.extra += p.e.Size
			}
		}
	}
	return nil
}
