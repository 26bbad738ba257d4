package fusefs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/loopdev"
	"github.com/ucvm/ucvm/internal/overlay"
)

// errImageMismatch: the boot pack image has an entry the revision does not
// have in the same form (the pack was checked when it was applied, so the
// image on the scratch disk changed since).
var errImageMismatch = errors.New("the image differs from the revision")

// imageLayer reads the description of the existing layer info.Dir and
// reports whether that layer is a boot pack's image that can be turned
// into a layer of plain files.
func imageLayer(info BootLayerInfo) (BootLayerInfo, bool) {
	var old BootLayerInfo
	if !info.Existed {
		return old, false
	}
	b, err := os.ReadFile(info.Dir + ".json")
	if err != nil || json.Unmarshal(b, &old) != nil || old.Image == "" || old.ImageBase == "" {
		return old, false
	}
	_, err = os.Stat(filepath.Join(old.Dir, old.Image))
	return old, err == nil
}

// flatten copies the directories, files and symlinks of the boot pack
// image of the layer dir (described by old) into the new layer, with the
// attributes the mount shows for them. The image is mounted read-only at a
// private mount point next to the layers for the copy.
func (w *layerWriter) flatten(ctx context.Context, dir string, old BootLayerInfo) error {
	var st unix.Statfs_t
	if err := unix.Statfs(w.root, &st); err == nil && int64(st.Bavail)*st.Bsize < old.Bytes+layerReserve {
		return fmt.Errorf("%w: %d MB free, the image's files need %d MB", errNoSpace, int64(st.Bavail)*st.Bsize>>20, old.Bytes>>20)
	}
	image := filepath.Join(dir, old.Image)
	mnt := filepath.Join(filepath.Dir(dir), ".img-"+w.info.RootHash)
	_ = unix.Unmount(mnt, unix.MNT_DETACH) // left by an interrupted copy
	if err := os.MkdirAll(mnt, 0o700); err != nil {
		return err
	}
	defer os.Remove(mnt)
	nodes := "" // /dev, unless it lacks the loop devices (the boot client after the hand-over)
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		nodes = filepath.Join(filepath.Dir(dir), ".dev")
		defer os.RemoveAll(nodes)
	}
	if err := loopdev.Mount(image, mnt, bootpack.ImageType, loopdev.Options{Nodes: nodes}); err != nil {
		return err
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	base := path.Clean("/" + old.ImageBase)
	return filepath.WalkDir(mnt, func(src string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(mnt, src)
		if err != nil {
			return err
		}
		p := strings.TrimSuffix(path.Join(base, filepath.ToSlash(rel)), "/") // the repository root is ""
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return w.addImageEntry(ctx, p, src, fi)
	})
}

// addImageEntry adds the image's entry src (fi its Lstat) as repository
// path p.
func (w *layerWriter) addImageEntry(ctx context.Context, p, src string, fi fs.FileInfo) error {
	mismatch := fmt.Errorf("%s: %w", p, errImageMismatch)
	if overlay.IsWhiteout(src, fi) {
		return w.addMissing(ctx, p)
	}
	t := fi.Mode().Type()
	e, err := w.s.tree.Lookup(ctx, p)
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	switch {
	case t.IsDir():
		if !e.IsDir() {
			return mismatch
		}
		if err := w.ensureDir(ctx, p); err != nil {
			return err
		}
		if overlay.IsOpaque(src) {
			w.opaque = append(w.opaque, p) // checked complete when the pack was applied
			w.info.Opaque++
		}
		return nil
	case t.IsRegular():
		if !e.IsRegular() || !bootpack.Representable(e) {
			return mismatch
		}
		if err := w.ensureDir(ctx, path.Dir(p)); err != nil {
			return err
		}
		in, err := os.Open(src)
		if err != nil {
			return err
		}
		defer in.Close()
		if err := w.writeFile(w.root+p, in, e); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		w.info.Files++
		w.info.Bytes += e.Size
	case t&fs.ModeSymlink != 0:
		if target, err := os.Readlink(src); err != nil || !e.IsSymlink() || target != e.Symlink {
			return mismatch
		}
		return w.addRead(ctx, p, e)
	default:
		return mismatch
	}
	return nil
}
