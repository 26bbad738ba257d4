package reader

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
)

// below reports whether path is strictly below mount (component-wise).
func below(path, mount string) bool {
	return strings.HasPrefix(path, mount+"/")
}

// catalogFor returns the loaded catalog responsible for path's row, loading
// nested catalogs on the way (path strictly below their mount point).
func (r *Repo) catalogFor(ctx context.Context, path string) (*loadedCatalog, error) {
	lc, err := r.loadCatalog(ctx, "", r.info.RootHash, -1)
	if err != nil {
		return nil, err
	}
	for {
		var next *catalog.NestedRef
		for i := range lc.nested {
			if below(path, lc.nested[i].Path) {
				next = &lc.nested[i]
				break
			}
		}
		if next == nil {
			return lc, nil
		}
		if lc, err = r.loadCatalog(ctx, next.Path, next.Hash, next.Size); err != nil {
			return nil, err
		}
	}
}

func (r *Repo) node(lc *loadedCatalog, e *catalog.Entry) *Node {
	n := &Node{Entry: *e, cat: lc}
	if g := e.HardlinkGroup(); g != 0 && !e.IsDir() {
		n.Inode = lc.base + lc.maxRow + uint64(g)
	} else {
		n.Inode = lc.base + uint64(e.RowID)
	}
	return n
}

func normalize(path string) (string, error) {
	if path == "/" || path == "" {
		return "", nil
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	path = strings.TrimSuffix(path, "/")
	for _, c := range strings.Split(path[1:], "/") {
		if c == "" || c == "." || c == ".." {
			return "", fmt.Errorf("%w: invalid path %q", ErrNotFound, path)
		}
	}
	return path, nil
}

// Lookup returns the entry at path ("" or "/" is the root, else "/a/b").
func (r *Repo) Lookup(ctx context.Context, path string) (*Node, error) {
	path, err := normalize(path)
	if err != nil {
		return nil, err
	}
	lc, err := r.catalogFor(ctx, path)
	if err != nil {
		return nil, err
	}
	e, err := lc.cat.Lookup(path)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, displayPath(path))
	}
	if err != nil {
		return nil, err
	}
	return r.node(lc, e), nil
}

// ReadDir lists the directory at path, sorted by name; hidden entries skipped.
func (r *Repo) ReadDir(ctx context.Context, path string) ([]*Node, error) {
	n, err := r.Lookup(ctx, path)
	if err != nil {
		return nil, err
	}
	if !n.IsDir() {
		return nil, fmt.Errorf("%s: not a directory", displayPath(n.Path))
	}
	lc := n.cat
	if n.IsNestedMountpoint() {
		ref := findRef(lc.nested, n.Path)
		if ref == nil {
			return nil, fmt.Errorf("catalog corrupt: %s is a nested mount point without a nested_catalogs row", displayPath(n.Path))
		}
		if lc, err = r.loadCatalog(ctx, ref.Path, ref.Hash, ref.Size); err != nil {
			return nil, err
		}
	}
	entries, err := lc.cat.List(n.Path)
	if err != nil {
		return nil, err
	}
	out := make([]*Node, 0, len(entries))
	for _, e := range entries {
		if e.IsHidden() || e.Name == "" {
			continue
		}
		out = append(out, r.node(lc, e))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func findRef(refs []catalog.NestedRef, path string) *catalog.NestedRef {
	for i := range refs {
		if refs[i].Path == path {
			return &refs[i]
		}
	}
	return nil
}

// Chunks returns the chunk list of a chunked file.
func (r *Repo) Chunks(ctx context.Context, n *Node) ([]catalog.Chunk, error) {
	if !n.IsChunked() {
		return nil, nil
	}
	return n.cat.cat.Chunks(&n.Entry)
}

// Xattrs returns the published extended attributes of n.
func (r *Repo) Xattrs(ctx context.Context, n *Node) (map[string][]byte, error) {
	return n.cat.cat.Xattrs(&n.Entry)
}

// CatalogOf returns the mount point and hash of the catalog holding n.
func (r *Repo) CatalogOf(n *Node) (string, string) { return n.cat.mount, n.cat.hash.String() }

func displayPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// CatalogHash returns the hash of the catalog mounted at mount ("" for the
// root catalog) in this revision, loading only the catalogs above it (a
// nested catalog's hash is in its parent's reference). ErrNotFound: no
// catalog is mounted there.
func (r *Repo) CatalogHash(ctx context.Context, mount string) (string, error) {
	if mount == "" {
		return r.info.RootHash.String(), nil
	}
	parent, err := r.catalogFor(ctx, mount) // holds the mount point's row
	if err != nil {
		return "", err
	}
	ref := findRef(parent.nested, mount)
	if ref == nil {
		return "", fmt.Errorf("%w: no catalog at %s", ErrNotFound, displayPath(mount))
	}
	return ref.Hash.String(), nil
}
