package bootpack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/reader"
)

// Source is the part of reader.Repo a build reads.
type Source interface {
	Lookup(ctx context.Context, path string) (*reader.Node, error)
	ReadDir(ctx context.Context, path string) ([]*reader.Node, error)
	Open(ctx context.Context, n *reader.Node) (reader.File, error)
	Chunks(ctx context.Context, n *reader.Node) ([]catalog.Chunk, error)
	// CatalogOf names the catalog holding n's row; CatalogHash the one
	// mounted at a nested catalog's mount point.
	CatalogOf(n *reader.Node) (mount, hash string)
	CatalogHash(ctx context.Context, mount string) (string, error)
	// CatalogFor names the catalog that holds (or would hold) a path's
	// row; CatalogFile loads the catalog mounted at mount and returns its
	// hash and inflated database file (the carried catalogs).
	CatalogFor(ctx context.Context, path string) (string, error)
	CatalogFile(ctx context.Context, mount string) (hash.Hash, string, error)
}

// Stats counts what a build put into the pack.
type Stats struct {
	Files, Symlinks, Dirs int
	Whiteouts, Opaque     int
	Bytes                 int64 // of the files, uncompressed
	ImageBytes            int64
	Carried               int   // catalogs carried (Manifest.Carried)
	CarriedBytes          int64 // their inflated size
	NotCarried            int   // catalogs left out (over CarryBudget)
	Skipped               []string
}

// Build writes the pack of the profile list (paths relative to root, the
// OS tree in the repository; see profile) to w: the files, the symlinks
// of their directories that lead to them, the complete directories with
// their subtrees (opaque), whiteouts for the missing names and the
// directories above them all, with the revision's owners, modes and
// times, as an EROFS image made by mkfs.erofs (in a temporary directory).
// Paths the revision does not have as plain regular files (missing,
// directories, files with extended attributes or hard links, times before
// 1970) are skipped and reported, as are complete directories with such
// entries and "missing" names that exist.
func Build(ctx context.Context, src Source, root string, list []string, w io.Writer, progress func(done, total int)) (Stats, error) {
	var st Stats
	root = "/" + strings.Trim(root, "/")
	prof := parseProfile(list)
	have := map[string]*reader.Node{}
	for _, rel := range prof.files {
		if have[rel] != nil || rel == "" || rel == FileName {
			continue // (a pack never holds a pack)
		}
		n, err := src.Lookup(ctx, path.Join(root, rel))
		if err != nil || n.IsDir() || !Representable(n) {
			st.Skipped = append(st.Skipped, rel)
			continue
		}
		have[rel] = n
	}
	opaque, err := addComplete(ctx, src, root, prof.complete, have, &st)
	if err != nil {
		return st, err
	}
	if err := addLinks(ctx, src, root, have); err != nil {
		return st, err
	}
	wo := whiteouts(ctx, src, root, prof.missing, opaque, &st)
	m, err := manifest(ctx, src, root, have, opaque, wo)
	if err != nil {
		return st, err
	}
	if m.Carried, m.section, st.NotCarried, err = carry(ctx, src, root, m.Catalogs); err != nil {
		return st, fmt.Errorf("carried catalogs: %w", err)
	}
	st.Carried = len(m.Carried)
	for _, c := range m.Carried {
		st.CarriedBytes += c.Bytes
	}
	st.Files, st.Symlinks, st.Whiteouts, st.Opaque, st.Bytes = m.Counts()
	st.Dirs = len(m.Entries) - st.Files - st.Symlinks - st.Whiteouts
	tmp, err := os.MkdirTemp("", "ucvm-bootpack-")
	if err != nil {
		return st, err
	}
	defer os.RemoveAll(tmp)
	tree, image := filepath.Join(tmp, "tree"), filepath.Join(tmp, ImageName)
	if err := stage(ctx, src, root, m, tree, progress); err != nil {
		return st, err
	}
	seed, _ := json.Marshal(m)
	if err := mkfs(ctx, tree, image, seed); err != nil {
		return st, err
	}
	st.ImageBytes, err = writePack(w, m, image)
	return st, err
}

// manifest lists the chosen files, links, complete directories (marked
// opaque) and whiteouts with every directory above them, sorted (so
// parents come first).
func manifest(ctx context.Context, src Source, root string, have map[string]*reader.Node, opaque map[string]bool, wo []string) (Manifest, error) {
	all := map[string]*reader.Node{}
	white := map[string]bool{}
	for _, rel := range wo {
		white[rel] = true
		all[rel] = nil
	}
	for _, rel := range wo {
		if err := addParents(ctx, src, root, rel, all); err != nil {
			return Manifest{}, err
		}
	}
	for rel, n := range have {
		all[rel] = n
		if err := addParents(ctx, src, root, rel, all); err != nil {
			return Manifest{}, err
		}
	}
	paths := make([]string, 0, len(all))
	for p := range all {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool { return paths[i] == "." || paths[j] != "." && paths[i] < paths[j] })
	m := Manifest{Image: ImageType, Entries: make([]Entry, 0, len(paths))}
	for _, p := range paths {
		if white[p] {
			m.Entries = append(m.Entries, Entry{Path: p, Type: TypeWhiteout})
			continue
		}
		e, err := entry(ctx, src, p, all[p])
		if err != nil {
			return m, err
		}
		e.Opaque = opaque[p]
		m.Entries = append(m.Entries, e)
	}
	cats, err := catalogs(ctx, src, root, all, white, opaque)
	if err != nil {
		return m, err
	}
	m.Catalogs = cats
	return m, m.Validate()
}

// catalogs lists the catalogs that hold the entries (see
// Manifest.Catalogs): every entry's row, the listings of opaque
// directories, and for whiteouts the listing of their directory.
func catalogs(ctx context.Context, src Source, root string, all map[string]*reader.Node, white, opaque map[string]bool) ([]CatalogRef, error) {
	refs := map[string]string{}
	listing := func(rel string) error { // the catalog that lists directory rel
		n := all[rel]
		if !n.IsNestedMountpoint() {
			mount, h := src.CatalogOf(n)
			refs[mount] = h
			return nil
		}
		p := path.Join(root, rel)
		h, err := src.CatalogHash(ctx, p)
		refs[p] = h
		return err
	}
	for rel, n := range all {
		var err error
		switch {
		case white[rel]:
			err = listing(path.Dir(rel))
		case opaque[rel]:
			err = listing(rel)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path.Join(root, rel), err)
		}
		if n != nil {
			mount, h := src.CatalogOf(n)
			refs[mount] = h
		}
	}
	out := make([]CatalogRef, 0, len(refs))
	for m, h := range refs {
		out = append(out, CatalogRef{Mount: m, Hash: h})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Mount < out[j].Mount })
	return out, nil
}

// addParents adds the directories above rel to all.
func addParents(ctx context.Context, src Source, root, rel string, all map[string]*reader.Node) error {
	for d := path.Dir(rel); all[d] == nil; d = path.Dir(d) {
		dn, err := src.Lookup(ctx, path.Join(root, d))
		if err != nil {
			return err
		}
		if !dn.IsDir() || dn.Mtime < 0 {
			return fmt.Errorf("%s: not a directory with a time after 1970", path.Join(root, d))
		}
		all[d] = dn
		if d == "." {
			break
		}
	}
	return nil
}

func entry(ctx context.Context, src Source, rel string, n *reader.Node) (Entry, error) {
	if !Representable(n) { // (the files are; a directory above them may not be)
		return Entry{}, fmt.Errorf("%s: the revision has extended attributes or a time before 1970 here, which a pack cannot hold", rel)
	}
	e := Entry{Path: rel, Mode: n.Perm(), UID: n.UID, GID: n.GID, Mtime: n.Mtime, MtimeNs: max(n.MtimeNs, 0)}
	switch {
	case n.IsDir():
		e.Type = TypeDir
	case n.IsSymlink():
		e.Type, e.Target = TypeSymlink, n.Symlink
	default:
		chunks, err := src.Chunks(ctx, n)
		if err != nil {
			return e, fmt.Errorf("%s: %w", rel, err)
		}
		e.Type, e.Size, e.ID = TypeFile, n.Size, Identity(n.Hash, chunks)
	}
	return e, nil
}

// writePack writes the header, the manifest and the image to w.
func writePack(w io.Writer, m Manifest, image string) (int64, error) {
	f, err := os.Open(image)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	head := make([]byte, ImageHeadSize)
	if _, err := io.ReadFull(f, head); err != nil {
		return 0, fmt.Errorf("%s made a short image: %w", MkfsTool, err)
	}
	if err := CheckImage(head); err != nil {
		return 0, err
	}
	if err := WriteHeader(w, m); err != nil {
		return 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, err
	}
	return io.Copy(w, f)
}

// addLinks adds the symlinks in the files' directories whose targets are
// files or links of the pack (chains like libx.so.1 -> libx.so.1.2 ->
// libx.so.1.2.3, three levels at most).
func addLinks(ctx context.Context, src Source, root string, have map[string]*reader.Node) error {
	seen := map[string]bool{}
	var dirs []string
	for rel := range have {
		if d := path.Dir(rel); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs) // a deterministic pack
	for pass := 0; pass < 3; pass++ {
		added := 0
		for _, dir := range dirs {
			kids, err := src.ReadDir(ctx, path.Join(root, dir))
			if err != nil {
				if errors.Is(err, reader.ErrNotFound) {
					continue
				}
				return err
			}
			for _, k := range kids {
				rel := strings.TrimPrefix(strings.TrimPrefix(k.Path, root), "/")
				if !k.IsSymlink() || have[rel] != nil || k.HasXattrs || k.Mtime < 0 || strings.Contains(k.Symlink, "$(") {
					continue
				}
				target := k.Symlink
				if !path.IsAbs(target) {
					target = path.Join(path.Dir(rel), target)
				} else {
					target = strings.TrimPrefix(path.Clean(target), "/")
				}
				if have[target] == nil || checkName(rel) != nil {
					continue
				}
				have[rel] = k
				added++
			}
		}
		if added == 0 {
			break
		}
	}
	return nil
}
