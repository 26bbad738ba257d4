package reader

import (
	"context"
	"crypto/rsa"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/manifest"
)

// Options select and verify one revision of a repository.
type Options struct {
	FQRN         string
	Source       Source
	Cache        ObjectCache
	MasterKeys   []*rsa.PublicKey
	Tag          string // mount this tag (fixed root)
	RootHash     string // mount this root catalog (fixed root, trusted from configuration)
	MinRevision  uint64 // rollback protection: refuse older manifests
	MinTimestamp int64
	Now          func() time.Time
}

// Info describes the opened revision.
type Info struct {
	FQRN      string
	Revision  uint64
	RootHash  hash.Hash
	Tag       string
	Timestamp int64 // manifest T (or root catalog last_modified for fixed roots)
	TTL       time.Duration
	Fixed     bool // tag or root hash: never follows new revisions
	Manifest  *manifest.Manifest
}

// Node is a directory entry of the opened revision with a stable inode.
type Node struct {
	catalog.Entry
	Inode uint64
	cat   *loadedCatalog
}

// Repo is one verified revision of a repository.
type Repo struct {
	opts   Options
	info   Info
	objs   *objects
	mu     sync.Mutex
	cats   map[string]*loadedCatalog // by mount point path
	next   uint64                    // next free inode base
	closed bool
}

type loadedCatalog struct {
	mount  string
	hash   hash.Hash
	cat    *catalog.Catalog
	nested []catalog.NestedRef
	base   uint64
	maxRow uint64
	size   int64
	file   string // the inflated database in the cache
}

// Open verifies the repository's chain of trust and opens the selected revision.
func Open(ctx context.Context, o Options) (*Repo, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Source == nil || o.Cache == nil {
		return nil, fmt.Errorf("reader: Source and Cache are required")
	}
	r := &Repo{opts: o, objs: newObjects(o.Source, o.Cache), cats: map[string]*loadedCatalog{}, next: 256}
	r.info.FQRN = o.FQRN
	var root hash.Hash
	var err error
	if o.RootHash != "" {
		root, err = hash.Parse(o.RootHash)
		if err != nil {
			return nil, fmt.Errorf("root hash: %w", err)
		}
		r.info.Fixed = true
	} else {
		if root, err = r.verifiedRoot(ctx); err != nil {
			return nil, err
		}
	}
	lc, err := r.loadCatalog(ctx, "", root, -1)
	if err != nil {
		return nil, err
	}
	r.info.RootHash = root
	r.info.Revision = uint64(lc.cat.PropInt("revision", 0))
	r.info.TTL = time.Duration(lc.cat.PropInt("TTL", catalog.DefaultTTL)) * time.Second
	if r.info.Timestamp == 0 || r.info.Fixed {
		r.info.Timestamp = lc.cat.PropInt("last_modified", 0)
	}
	return r, nil
}

// verifiedRoot fetches and verifies the manifest ensemble and returns the
// root catalog hash of the trunk or of the requested tag.
func (r *Repo) verifiedRoot(ctx context.Context) (hash.Hash, error) {
	m, err := verifyManifest(ctx, r.opts.Source, r.objs, r.opts.FQRN, r.opts.MasterKeys, r.opts.Now(), nil)
	if err != nil {
		return hash.Hash{}, err
	}
	if m.Revision < r.opts.MinRevision || m.Timestamp < r.opts.MinTimestamp {
		return hash.Hash{}, fmt.Errorf("%w: server has revision %d (timestamp %d), already seen revision %d (timestamp %d)",
			ErrRollback, m.Revision, m.Timestamp, r.opts.MinRevision, r.opts.MinTimestamp)
	}
	r.info.Manifest = m
	r.info.Timestamp = m.Timestamp
	if r.opts.Tag == "" {
		return m.RootCatalog, nil
	}
	tag, err := r.findTag(ctx, m, r.opts.Tag)
	if err != nil {
		return hash.Hash{}, err
	}
	r.info.Tag = tag.Name
	r.info.Fixed = true
	return tag.Hash, nil
}

// Info returns what was opened.
func (r *Repo) Info() Info { return r.info }

// Close releases all catalogs.
func (r *Repo) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.cats {
		c.cat.Close()
	}
	r.cats = nil
	r.closed = true
	return nil
}

// CatalogCount returns the number of loaded catalogs.
func (r *Repo) CatalogCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.cats)
}

func (r *Repo) loadCatalog(ctx context.Context, mount string, h hash.Hash, size int64) (*loadedCatalog, error) {
	r.mu.Lock()
	if c, ok := r.cats[mount]; ok {
		r.mu.Unlock()
		return c, nil
	}
	r.mu.Unlock()
	desc := "catalog " + mount
	if mount == "" {
		desc = "root catalog"
	}
	f, err := r.objs.get(ctx, h, hash.SuffixCatalog, true, size, KindCatalog, desc)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", desc, h, err)
	}
	name := f.Name()
	f.Close()
	cat, err := catalog.Open(name)
	if err != nil {
		return nil, err
	}
	nested, err := cat.Nested()
	if err != nil {
		cat.Close()
		return nil, err
	}
	maxRow, err := cat.MaxRowID()
	if err != nil {
		cat.Close()
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c, ok := r.cats[mount]; ok { // lost a race: keep the first
		cat.Close()
		return c, nil
	}
	lc := &loadedCatalog{mount: mount, hash: h, cat: cat, nested: nested, base: r.next, maxRow: uint64(maxRow), size: size, file: name}
	r.next += 2*uint64(maxRow) + 2
	r.cats[mount] = lc
	return lc, nil
}

// CatalogInfo describes a loaded catalog.
type CatalogInfo struct {
	Mount string
	Hash  hash.Hash
	Size  int64 // uncompressed size as referenced by the parent (-1 for the root)
	Props map[string]string
}

// PropInt returns a numeric property or 0.
func (c CatalogInfo) PropInt(key string) int64 {
	v, _ := strconv.ParseInt(c.Props[key], 10, 64)
	return v
}

// LoadedCatalogs lists the catalogs loaded so far (all of them after a full walk).
func (r *Repo) LoadedCatalogs() []CatalogInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]CatalogInfo, 0, len(r.cats))
	for _, c := range r.cats {
		out = append(out, CatalogInfo{Mount: c.mount, Hash: c.hash, Size: c.size, Props: c.cat.Props})
	}
	return out
}
