package publish

import (
	"context"
	"crypto/rsa"
	"fmt"
	"os"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/cvmfs/manifest"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/repo"
)

// previous is what the current head revision offers for reuse.
type previous struct {
	manifest *manifest.Manifest
	files    map[string]*prevFile
	catalogs map[string]prevCatalog
}

// loadPrevious opens the current revision through the verified reader (so a
// publish never builds on tampered storage) and indexes its files and catalogs.
func loadPrevious(ctx context.Context, store *repo.Storage, fqrn string, ks *keys.Set) (*previous, error) {
	if ks.MasterPub == nil {
		return nil, fmt.Errorf("keys for %s: master public key %s.pub missing", fqrn, fqrn)
	}
	dir, err := store.TempDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cache, err := reader.NewDirCache(dir)
	if err != nil {
		return nil, err
	}
	r, err := reader.Open(ctx, reader.Options{FQRN: fqrn, Source: reader.DirSource{Dir: store.Dir}, Cache: cache,
		MasterKeys: []*rsa.PublicKey{ks.MasterPub}})
	if err != nil {
		return nil, fmt.Errorf("current revision of %s in %s: %w", fqrn, store.Dir, err)
	}
	defer r.Close()
	p := &previous{manifest: r.Info().Manifest, files: map[string]*prevFile{}, catalogs: map[string]prevCatalog{}}
	if err := p.walk(ctx, r, ""); err != nil {
		return nil, fmt.Errorf("reading current revision: %w", err)
	}
	for _, c := range r.LoadedCatalogs() {
		p.catalogs[c.Mount] = prevCatalog{hash: c.Hash, size: c.Size, revision: c.PropInt("revision"), digest: c.Props[digestProperty]}
	}
	return p, nil
}

func (p *previous) walk(ctx context.Context, r *reader.Repo, dir string) error {
	nodes, err := r.ReadDir(ctx, dir)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		switch {
		case n.IsDir():
			if err := p.walk(ctx, r, n.Path); err != nil {
				return err
			}
		case n.IsRegular():
			if n.Flags&catalog.FlagFileExternal != 0 {
				continue
			}
			f := &prevFile{size: n.Size, mtime: n.Mtime, mtimeNs: n.MtimeNs, mode: n.Mode, flags: n.Flags &^ uint32(catalog.FlagFileChunk), hash: n.Hash}
			if n.IsChunked() {
				f.flags = n.Flags
				if f.chunks, err = r.Chunks(ctx, n); err != nil {
					return err
				}
			}
			p.files[n.Path] = f
		}
	}
	return nil
}
