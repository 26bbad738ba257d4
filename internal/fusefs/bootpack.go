package fusefs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/reader"
)

// ErrNoBootPack: the mounted revision has no boot pack at that path.
var ErrNoBootPack = errors.New("the mounted revision has no boot pack there")

// ErrPackStale: the pack does not describe the mounted revision (it was
// made for another one); no layer is written, so the boot records one as
// without a pack.
var ErrPackStale = errors.New("the boot pack does not match the mounted revision")

// streamer is implemented by trees that can hand out verified content
// without caching it (reader.Repo).
type streamer interface {
	Stream(ctx context.Context, n *Node, fn func([]byte) error) error
	StreamChecked(ctx context.Context, n *Node, pieces int, check reader.PieceCheck, fn func([]byte) error) error
	Xattrs(ctx context.Context, n *Node) (map[string][]byte, error)
}

// streamPack streams the pack n verified by the BLAKE3 digests of its
// pieces when its catalog entry has them (bootpack.Digests: 4.5 times
// fewer instructions than SHA-1), else by its objects' hashes, as it also
// does, with a warning, when the digests are malformed or do not match
// its pieces in number (checked before any piece is handed out).
func (w *layerWriter) streamPack(ctx context.Context, st streamer, n *Node, fn func([]byte) error) error {
	if !n.HasXattrs {
		return st.Stream(ctx, n, fn)
	}
	x, err := st.Xattrs(ctx, n)
	if err != nil {
		return err
	}
	digests, err := bootpack.Digests(x)
	if err == nil && digests != nil {
		err = st.StreamChecked(ctx, n, len(digests), bootpack.CheckPieces(digests), fn)
		if !errors.Is(err, reader.ErrPieceCount) {
			return err
		}
	}
	if err != nil {
		w.f.log.Warn("boot pack: verifying by SHA-1 instead", "err", err)
	}
	return st.Stream(ctx, n, fn)
}

// ApplyBootPack puts the image of the boot pack at packPath (a repository
// path, e.g. /os/.ucvm_bootpack) into the boot layer of the mounted
// revision, unless that layer exists: dir/<root hash>/pack.erofs, and an
// empty directory at the pack's directory (e.g. os/) for the bootloader to
// mount the image on. Only a pack whose every entry matches the revision
// is used (see package bootpack); the layer appears complete or not at
// all, as one written at shutdown.
func (f *FS) ApplyBootPack(ctx context.Context, packPath string) (BootLayerInfo, error) {
	dir := f.cfg.BootLayerDir
	if dir == "" {
		return BootLayerInfo{}, ErrNoBootLayer
	}
	f.layerMu.Lock()
	defer f.layerMu.Unlock()
	s := f.acquire()
	defer f.releaseSnap(s)
	info := newLayerInfo(dir, s)
	if info.Existed {
		return info, nil
	}
	st, ok := s.tree.(streamer)
	if !ok {
		return info, errors.New("boot pack: this mount cannot stream content")
	}
	n, err := s.tree.Lookup(ctx, packPath)
	if errors.Is(err, reader.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || err == nil && !n.IsRegular() {
		return info, fmt.Errorf("%w: %s", ErrNoBootPack, packPath)
	} else if err != nil {
		return info, fmt.Errorf("boot pack: %w", err)
	}
	t0 := time.Now()
	err = f.buildLayer(s, &info, func(w *layerWriter) error { return w.putImage(ctx, st, n, path.Dir(packPath)) })
	if err != nil {
		return info, fmt.Errorf("boot pack %s: %w", packPath, err)
	}
	// The record goes on: the files this boot reads through the mount
	// join the image's in the layer of plain files written at shutdown.
	f.log.Info("boot pack image written", "dir", info.Dir, "files", info.Files, "bytes", info.Bytes,
		"symlinks", info.Symlinks, "image_bytes", info.ImageBytes, "seconds", time.Since(t0).Seconds())
	return info, nil
}

// putImage streams the verified pack, checks its manifest against the
// revision and writes its image into the layer, with an empty directory
// at base for the bootloader to mount it on. Only verified objects reach
// the parser (reader.Stream).
func (w *layerWriter) putImage(ctx context.Context, st streamer, n *Node, base string) error {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(w.streamPack(ctx, st, n, func(b []byte) error {
			_, err := pw.Write(b)
			return err
		}))
	}()
	defer func() { pr.Close(); <-done }() // an early stop unblocks the writer
	t0 := time.Now()
	m, err := bootpack.ReadHeader(pr)
	if err != nil {
		return err
	}
	seeded, err := w.seedCarried(m)
	if err != nil {
		return err
	}
	t1 := time.Now()
	if err := w.checkManifest(ctx, base, m); err != nil {
		return err
	}
	t2 := time.Now()
	if err := w.ensureDir(ctx, base); err != nil {
		return err
	}
	var sf unix.Statfs_t
	if err := unix.Statfs(w.root, &sf); err == nil && int64(sf.Bavail)*sf.Bsize < n.Size+layerReserve {
		return fmt.Errorf("%w: %d MB free", errNoSpace, int64(sf.Bavail)*sf.Bsize>>20)
	}
	size, err := writeImage(filepath.Join(w.root, bootpack.ImageName), pr)
	if err != nil {
		return err
	}
	w.f.log.Info("boot pack image copied", "header_s", t1.Sub(t0).Seconds(), "check_s", t2.Sub(t1).Seconds(),
		"copy_s", time.Since(t2).Seconds(), "entries", len(m.Entries), "catalogs_seeded", seeded)
	w.info.Files, w.info.Symlinks, w.info.Whiteouts, w.info.Opaque, w.info.Bytes = m.Counts()
	w.info.Image, w.info.ImageBytes, w.info.ImageBase = bootpack.ImageName, size, base
	w.info.Seeded = seeded
	return nil
}

// writeImage copies the image from r to a new file p after checking its
// superblock, in 1 MiB writes (32 KiB ones cost measurably more under
// emulation) past the page cache (writeDirect).
func writeImage(p string, r io.Reader) (int64, error) {
	head := make([]byte, bootpack.ImageHeadSize)
	if _, err := io.ReadFull(r, head); err != nil {
		return 0, fmt.Errorf("%w: image: %v", bootpack.ErrBadPack, err)
	}
	if err := bootpack.CheckImage(head); err != nil {
		return 0, err
	}
	return writeDirect(p, head, r)
}

// catalogSeeder is implemented by trees whose cache takes the catalogs a
// pack carries (reader.Repo).
type catalogSeeder interface {
	SeedCatalog(h hash.Hash, size int64, db io.Reader) (bool, error)
}

// seedCarried puts the catalogs the pack carries into the cache (before
// the check, which reads the catalogs above the pack's entries, and the
// boot, which looks names up in them) and returns how many it wrote.
func (w *layerWriter) seedCarried(m bootpack.Manifest) (int, error) {
	sd, ok := w.s.tree.(catalogSeeder)
	if !ok {
		return 0, nil
	}
	n := 0
	err := m.ReadCarried(func(c bootpack.CarriedCatalog, db io.Reader) error {
		h, err := hash.Parse(c.Hash)
		if err != nil {
			return err
		}
		wrote, err := sd.SeedCatalog(h, c.Bytes, db)
		if wrote {
			n++
		}
		return err
	})
	return n, err
}

// checkManifest requires every entry of the pack to be exactly what the
// mounted revision has at its path, with the attributes the mount shows.
// Entries whose catalogs the revision mounts unchanged (same hash, see
// bootpack.Manifest.Catalogs) are that by construction: only their owners
// go through the mount's uid/gid maps, and their catalogs are not read.
func (w *layerWriter) checkManifest(ctx context.Context, base string, m bootpack.Manifest) error {
	bad, first, vouched := 0, "", 0
	same := w.sameCatalogs(ctx, m.Catalogs)
	refs := make(map[string]string, len(m.Catalogs))
	for _, c := range m.Catalogs {
		refs[c.Mount] = c.Hash
	}
	kids := m.Children()
	for i, e := range m.Entries {
		p := path.Join(base, e.Path)
		if i > 0 && w.vouched(refs, same, p, e) {
			vouched++
			continue
		}
		if why := w.checkEntry(ctx, p, e, i == 0, kids); why != "" {
			if bad++; first == "" {
				first = p + ": " + why
			}
		}
	}
	w.info.Vouched = vouched
	w.f.log.Info("boot pack checked", "entries", len(m.Entries), "unchanged_catalogs", len(same),
		"catalogs", len(m.Catalogs), "vouched_by_catalog", vouched)
	if bad > 0 {
		return fmt.Errorf("%w: %d of %d entries differ (%s); make the pack again with 'ucvm bootpack' after publishing",
			ErrPackStale, bad, len(m.Entries), first)
	}
	return nil
}

// catalogHasher is implemented by trees that know a catalog's hash from
// its parent's reference (reader.Repo).
type catalogHasher interface {
	CatalogHash(ctx context.Context, mount string) (string, error)
}

// sameCatalogs returns the pack's catalogs that the mounted revision has
// with the same hash at the same mount point.
func (w *layerWriter) sameCatalogs(ctx context.Context, refs []bootpack.CatalogRef) map[string]string {
	same := map[string]string{}
	ch, ok := w.s.tree.(catalogHasher)
	if !ok {
		return same
	}
	for _, c := range refs {
		if h, err := ch.CatalogHash(ctx, c.Mount); err == nil && h == c.Hash {
			same[c.Mount] = h
		}
	}
	return same
}

// vouched: the catalogs that hold e (among the pack's, refs) are the
// same in the revision, and e's owners are not mapped to others.
func (w *layerWriter) vouched(refs, same map[string]string, p string, e bootpack.Entry) bool {
	if len(same) == 0 || e.Type != bootpack.TypeWhiteout && !w.f.sameOwner(e.UID, e.GID) {
		return false
	}
	govern, ok := bootpack.Governing(refs, p, e)
	for _, g := range govern {
		if _, unchanged := same[g]; !unchanged {
			return false
		}
	}
	return ok
}

// checkEntry says how the revision's entry at p differs from e ("" if it
// does not).
func (w *layerWriter) checkEntry(ctx context.Context, p string, e bootpack.Entry, root bool, kids map[string][]string) string {
	n, err := w.s.tree.Lookup(ctx, p)
	switch {
	case e.Type == bootpack.TypeWhiteout:
		if err == nil || !errors.Is(err, reader.ErrNotFound) && !errors.Is(err, fs.ErrNotExist) {
			return "exists (the pack has a whiteout)"
		}
		return ""
	case err != nil:
		return "not in the snapshot"
	case root: // the overlay shows its upper directory's attributes
		if !n.IsDir() {
			return "not a directory"
		}
		return ""
	}
	why := w.differs(ctx, n, e)
	if why == "" && e.Opaque {
		why = w.incomplete(ctx, p, kids[e.Path])
	}
	return why
}

// incomplete says how the pack's entries of the opaque directory p
// differ from the revision's ("" if they are the same names).
func (w *layerWriter) incomplete(ctx context.Context, p string, names []string) string {
	list, err := w.s.tree.ReadDir(ctx, p)
	if err != nil {
		return "cannot be listed"
	}
	have := make(map[string]bool, len(names))
	for _, n := range names {
		have[n] = true
	}
	for _, e := range list {
		if !have[e.Name] {
			return "opaque, but " + e.Name + " is not in the pack"
		}
	}
	if len(list) != len(names) {
		return "opaque, with entries the revision does not have"
	}
	return ""
}

// differs says how the revision's entry n differs from the pack's e ("" if
// it does not).
func (w *layerWriter) differs(ctx context.Context, n *Node, e bootpack.Entry) string {
	o := w.f.owner(n)
	switch {
	case n.HasXattrs:
		return "has extended attributes"
	case n.Perm() != e.Mode || o.Uid != e.UID || o.Gid != e.GID:
		return fmt.Sprintf("mode %o owner %d:%d, pack %o %d:%d", n.Perm(), o.Uid, o.Gid, e.Mode, e.UID, e.GID)
	case n.Mtime != e.Mtime || max(n.MtimeNs, 0) != e.MtimeNs:
		return "modification time"
	}
	switch e.Type {
	case bootpack.TypeDir:
		if !n.IsDir() {
			return "not a directory"
		}
	case bootpack.TypeSymlink:
		if !n.IsSymlink() || n.Symlink != e.Target || strings.Contains(n.Symlink, "$(") {
			return "symlink target"
		}
	case bootpack.TypeFile:
		if !n.IsRegular() || n.LinkCount() > 1 || n.Size != e.Size {
			return "not the same plain file"
		}
		chunks, err := w.s.tree.Chunks(ctx, n)
		if err != nil || bootpack.Identity(n.Hash, chunks) != e.ID {
			return "content"
		}
	}
	return ""
}
