package reader

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// sqliteMagic opens every SQLite database, so every inflated catalog.
const sqliteMagic = "SQLite format 3\x00"

// CatalogFor returns the mount point of the catalog that holds (or would
// hold) the row of path, loading the catalogs above it; "" is the root
// catalog. For a nested catalog's mount point that is its parent.
func (r *Repo) CatalogFor(ctx context.Context, path string) (string, error) {
	path, err := normalize(path)
	if err != nil {
		return "", err
	}
	lc, err := r.catalogFor(ctx, path)
	if err != nil {
		return "", err
	}
	return lc.mount, nil
}

// CatalogFile loads the catalog mounted at mount ("" for the root) and
// returns its hash and its inflated database in the cache (a file that
// stays while the cache keeps the object: a DirCache keeps it).
func (r *Repo) CatalogFile(ctx context.Context, mount string) (hash.Hash, string, error) {
	h, size := r.info.RootHash, int64(-1)
	if mount != "" {
		parent, err := r.catalogFor(ctx, mount)
		if err != nil {
			return hash.Hash{}, "", err
		}
		ref := findRef(parent.nested, mount)
		if ref == nil {
			return hash.Hash{}, "", fmt.Errorf("%w: no catalog at %s", ErrNotFound, mount)
		}
		h, size = ref.Hash, ref.Size
	}
	lc, err := r.loadCatalog(ctx, mount, h, size)
	if err != nil {
		return hash.Hash{}, "", err
	}
	return lc.hash, lc.file, nil
}

// SeedCatalog puts the inflated database of catalog h (size bytes from
// data) into the cache, unless the cache has it; it reports whether it
// wrote it. The caller vouches that data is catalog h: it must come from
// verified bytes that name it so (a boot pack's carried catalogs, see
// bootpack.Manifest.Carried). Data that is not an SQLite database of
// that size is refused and nothing is cached.
func (r *Repo) SeedCatalog(h hash.Hash, size int64, data io.Reader) (bool, error) {
	if f, err := r.objs.cache.Open(h); err == nil {
		f.Close()
		return false, nil
	}
	head := make([]byte, len(sqliteMagic))
	if _, err := io.ReadFull(data, head); err != nil || !bytes.Equal(head, []byte(sqliteMagic)) {
		return false, fmt.Errorf("catalog %s: not an SQLite database", h)
	}
	txn, err := r.objs.cache.Create(h, ObjectInfo{Kind: KindCatalog, Size: size, Description: "catalog (carried by a boot pack)"})
	if err != nil {
		return false, err
	}
	n, err := io.Copy(txn, io.MultiReader(bytes.NewReader(head), data))
	if err == nil && n != size {
		err = fmt.Errorf("catalog %s: %d bytes, the pack says %d", h, n, size)
	}
	if err != nil {
		txn.Abort()
		return false, err
	}
	return true, txn.Commit()
}
