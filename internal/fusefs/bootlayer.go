package fusefs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/overlay"
	"github.com/ucvm/ucvm/internal/reader"
)

// A boot layer is a local copy of what one boot read from the mount: the
// files whose content was read, the symlinks whose target was read and
// whiteouts for the names looked up in vain, with the repository's
// owners, modes and times, under dir/<root catalog hash>/<repository
// path>. The bootloader stacks it above the mount as the upper lower
// layer of the overlay root, so a later boot of the same pinned snapshot
// reads those files from the scratch disk instead of through FUSE. Files
// with extended attributes or hard links, device nodes and variant
// symlinks are left out (the mount still serves them). The content comes
// from verified objects (the cache), never from the network unverified.

// ErrNoBootLayer: the mount was not configured to record a boot layer.
var ErrNoBootLayer = errors.New("no boot layer directory configured (UCVM_BOOT_LAYER)")

// ErrNothingRecorded: the mount recorded nothing to write (its revision
// had a layer when it was mounted, or nothing was read).
var ErrNothingRecorded = errors.New("nothing recorded for a boot layer")

// layerReserve is the free space a layer leaves on its file system.
const layerReserve = 256 << 20

// BootLayerInfo describes a boot layer.
type BootLayerInfo struct {
	Dir       string `json:"dir"`
	RootHash  string `json:"root_hash"`
	Files     int    `json:"files"`
	Bytes     int64  `json:"bytes"`
	Symlinks  int    `json:"symlinks"`
	Whiteouts int    `json:"whiteouts"`
	Skipped   int    `json:"skipped"`
	// Opaque counts the directories the layer holds completely (marked
	// opaque: overlayfs does not look below them).
	Opaque int `json:"opaque,omitempty"`
	// Image names the layer's file system image (a boot pack's), which
	// the bootloader mounts at the layer's OS directory (ImageBase, a
	// repository path) until the shutdown turns it into plain files; ""
	// for a layer of files.
	Image      string `json:"image,omitempty"`
	ImageBytes int64  `json:"image_bytes,omitempty"`
	ImageBase  string `json:"image_base,omitempty"`
	// Vouched counts the pack's entries known unchanged by their
	// catalogs' hashes, checked without reading those catalogs.
	Vouched int `json:"vouched,omitempty"`
	// Seeded counts the catalogs the pack carried that went into the
	// cache (bootpack.Manifest.Carried; those the cache had are not).
	Seeded  int       `json:"seeded,omitempty"`
	Created time.Time `json:"created"`
	Existed bool      `json:"-"`
}

func (i BootLayerInfo) String() string {
	if i.Existed {
		return fmt.Sprintf("exists %s\n", i.Dir)
	}
	s := fmt.Sprintf("dir %s\nfiles %d\nbytes %d\nsymlinks %d\nwhiteouts %d\nskipped %d\nopaque %d\n",
		i.Dir, i.Files, i.Bytes, i.Symlinks, i.Whiteouts, i.Skipped, i.Opaque)
	if i.Image != "" {
		s += fmt.Sprintf("image %s\nimage_bytes %d\nvouched %d\nseeded %d\n", i.Image, i.ImageBytes, i.Vouched, i.Seeded)
	}
	return s
}

// WriteBootLayer ends the boot record and writes the layer of the
// mounted revision, unless it exists. A layer that is a boot pack's image
// is replaced by one of plain files: the image's files plus what this
// boot recorded (no image to mount and decompress on later boots). The
// layer appears at once (a directory rename) and complete, or not at all.
func (f *FS) WriteBootLayer(ctx context.Context) (BootLayerInfo, error) {
	dir := f.cfg.BootLayerDir
	if dir == "" || f.record == nil {
		return BootLayerInfo{}, ErrNoBootLayer
	}
	f.layerMu.Lock()
	defer f.layerMu.Unlock()
	rec := f.record.stop()
	s := f.acquire()
	defer f.releaseSnap(s)
	info := newLayerInfo(dir, s)
	name := info.RootHash
	img, isImage := imageLayer(info)
	if info.Existed && !isImage {
		return info, nil
	}
	if rec.empty() && !isImage {
		return info, ErrNothingRecorded
	}
	info.Existed = false
	fill := func(w *layerWriter) error {
		if isImage {
			if err := w.flatten(ctx, info.Dir, img); err != nil {
				return fmt.Errorf("copy of the boot pack image: %w", err)
			}
		}
		return w.write(ctx, rec)
	}
	if err := f.buildLayer(s, &info, fill); err != nil {
		return info, fmt.Errorf("boot layer %s: %w", name, err)
	}
	f.log.Info("boot layer written", "dir", info.Dir, "files", info.Files, "bytes", info.Bytes,
		"symlinks", info.Symlinks, "whiteouts", info.Whiteouts, "opaque", info.Opaque, "skipped", info.Skipped,
		"from_image", isImage)
	return info, nil
}

// newLayerInfo describes the layer of snapshot s in dir; Existed is set
// when it is there already.
func newLayerInfo(dir string, s *snapshot) BootLayerInfo {
	name := s.info.RootHash.String()
	info := BootLayerInfo{Dir: filepath.Join(dir, name), RootHash: name, Created: time.Now().UTC()}
	if _, err := os.Stat(info.Dir); err == nil {
		info.Existed = true
	}
	return info
}

// buildLayer writes the layer info.Dir under a temporary name with fill,
// gives its directories their attributes and publishes it; on failure
// nothing is left.
func (f *FS) buildLayer(s *snapshot, info *BootLayerInfo, fill func(*layerWriter) error) error {
	if err := os.MkdirAll(filepath.Dir(info.Dir), 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(filepath.Dir(info.Dir), ".tmp-"+info.RootHash)
	_ = os.RemoveAll(tmp)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return err
	}
	w := &layerWriter{f: f, s: s, root: tmp, dirs: map[string]*Node{"": s.root}, info: info}
	err := fill(w)
	if err == nil {
		err = w.finish()
	}
	if err == nil {
		err = publishLayer(tmp, *info, w.opaque)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
	}
	return err
}

// publishLayer marks the complete directories opaque, flushes the layer
// to disk, renames it into place and writes its description next to it.
// A layer already there (a boot pack's image, possibly still mounted by
// this boot) is moved aside to .old-<hash>, which the bootloader removes
// at the next boot.
func publishLayer(tmp string, info BootLayerInfo, opaque []string) error {
	for _, d := range opaque {
		if err := overlay.MarkOpaque(tmp + d); err != nil {
			return fmt.Errorf("mark %s opaque: %w", d, err)
		}
	}
	fd, err := unix.Open(tmp, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		return err
	}
	err = unix.Syncfs(fd)
	unix.Close(fd)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(info.Dir); err == nil {
		old := filepath.Join(filepath.Dir(info.Dir), ".old-"+info.RootHash)
		_ = os.RemoveAll(old)
		if err := os.Rename(info.Dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, info.Dir); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(info, "", "  ")
	return os.WriteFile(info.Dir+".json", append(b, '\n'), 0o644)
}

type layerWriter struct {
	f      *FS
	s      *snapshot
	root   string
	dirs   map[string]*Node // created directories by repository path
	info   *BootLayerInfo
	opaque []string // complete directories (repository paths), marked opaque when published
	extra  int64    // bytes added for lookups and complete directories
}

// write adds what a boot recorded: the files and symlinks it read, the
// small files it looked up, whiteouts for the names it missed, and the
// directories it listed, complete where that is cheap (complete.go).
func (w *layerWriter) write(ctx context.Context, rec recorded) error {
	if err := w.writeRead(ctx, rec.read); err != nil {
		return err
	}
	for _, p := range rec.found {
		if err := w.addFound(ctx, p); err != nil {
			return err
		}
	}
	for _, p := range rec.missing {
		if err := w.addMissing(ctx, p); err != nil {
			return err
		}
	}
	return w.complete(ctx, rec.listed)
}

// writeRead copies the files and symlinks the boot read, after checking
// that the scratch disk has room for them.
func (w *layerWriter) writeRead(ctx context.Context, read []string) error {
	entries := make([]*Node, len(read)) // nil: gone from the revision
	var need int64
	for i, p := range read {
		if e, err := w.s.tree.Lookup(ctx, p); err == nil {
			entries[i] = e
			if e.IsRegular() {
				need += e.Size
			}
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs(w.root, &st); err == nil && int64(st.Bavail)*st.Bsize < need+layerReserve {
		return fmt.Errorf("%w: %d MB free, the layer needs %d MB and leaves %d MB",
			errNoSpace, int64(st.Bavail)*st.Bsize>>20, need>>20, layerReserve>>20)
	}
	for i, p := range read {
		if err := w.addRead(ctx, p, entries[i]); err != nil {
			return err
		}
	}
	return nil
}

var errNoSpace = errors.New("not enough space for the boot layer")

// addRead copies a recorded file or symlink; entries the layer cannot
// represent exactly are counted as skipped.
func (w *layerWriter) addRead(ctx context.Context, p string, e *Node) error {
	if e == nil {
		w.info.Skipped++
		return nil
	}
	if w.has(p) { // from the boot pack's image
		return nil
	}
	switch {
	case e.IsRegular() && bootpack.Representable(e):
		if err := w.ensureDir(ctx, filepath.Dir(p)); err != nil {
			return err
		}
		if err := w.copyFile(ctx, e, w.root+p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		w.info.Files++
		w.info.Bytes += e.Size
	case e.IsSymlink() && bootpack.Representable(e):
		if err := w.ensureDir(ctx, filepath.Dir(p)); err != nil {
			return err
		}
		if err := os.Symlink(e.Symlink, w.root+p); err != nil {
			return err
		}
		if err := w.setAttrs(w.root+p, e, true); err != nil {
			return err
		}
		w.info.Symlinks++
	default:
		w.info.Skipped++
	}
	return nil
}

// addMissing writes a whiteout for a name the revision does not have, in
// a directory it has: overlayfs then answers the lookup from the layer.
func (w *layerWriter) addMissing(ctx context.Context, p string) error {
	parent := filepath.Dir(p)
	if pe, err := w.s.tree.Lookup(ctx, parent); err != nil || !pe.IsDir() {
		w.info.Skipped++
		return nil
	}
	if _, err := w.s.tree.Lookup(ctx, p); !errors.Is(err, reader.ErrNotFound) && !errors.Is(err, fs.ErrNotExist) {
		w.info.Skipped++ // exists now, or the lookup failed
		return nil
	}
	if err := w.ensureDir(ctx, parent); err != nil {
		return err
	}
	if w.has(p) {
		return nil
	}
	if err := overlay.MakeWhiteout(w.root + p); err != nil {
		if errors.Is(err, unix.EEXIST) {
			return nil
		}
		return fmt.Errorf("whiteout %s: %w", p, err)
	}
	w.info.Whiteouts++
	return nil
}

// ensureDir creates the directory p (and its parents) of the layer; its
// attributes are set by finish, after its content is written.
func (w *layerWriter) ensureDir(ctx context.Context, p string) error {
	if p == "/" || p == "." {
		p = ""
	}
	if _, ok := w.dirs[p]; ok {
		return nil
	}
	if err := w.ensureDir(ctx, filepath.Dir(p)); err != nil {
		return err
	}
	e, err := w.s.tree.Lookup(ctx, p)
	if err != nil {
		return err
	}
	if !e.IsDir() {
		return fmt.Errorf("%s: not a directory", p)
	}
	if err := os.Mkdir(w.root+p, 0o700); err != nil {
		return err
	}
	w.dirs[p] = e
	return nil
}
