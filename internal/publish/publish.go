package publish

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/cvmfs/manifest"
	"github.com/ucvm/ucvm/internal/publish/chunk"
	"github.com/ucvm/ucvm/internal/publish/source"
	"github.com/ucvm/ucvm/internal/repo"
)

// Options configure one publish.
type Options struct {
	FQRN           string
	Storage        string // repository storage directory
	Keys           string // keys directory (FQRN.key, FQRN.crt, FQRN.pub)
	Source         string // directory, .tar, .tar.gz or "-"
	Stdin          io.Reader
	Tag            string
	TagDescription string
	Workers        int          // parallel content workers (default: 2 × cores)
	Chunk          chunk.Params // zero value: CernVM-FS defaults
	NoChunking     bool
	NoCompression  bool
	TTL            int64 // catalog TTL in seconds (default 240)
	Progress       io.Writer
	Now            func() time.Time
}

// Result reports a successful publish.
type Result struct {
	Manifest *manifest.Manifest
	Stats    Stats
}

// Publish writes the SOURCE as the new head revision of the repository.
// A failed or interrupted publish leaves the previous revision served:
// objects may have been added, but .cvmfspublished is replaced last.
func Publish(ctx context.Context, o Options) (*Result, error) {
	start := time.Now()
	if err := o.defaults(); err != nil {
		return nil, err
	}
	store, err := repo.Open(o.Storage)
	if err != nil {
		return nil, err
	}
	ks, err := keys.Load(o.Keys, o.FQRN)
	if err != nil {
		return nil, fmt.Errorf("keys for %s: %w", o.FQRN, err)
	}
	prev, err := loadPrevious(ctx, store, o.FQRN, ks)
	if err != nil {
		return nil, err
	}
	stats := &Stats{}
	prog := startProgress(o.Progress, stats)
	defer prog.stop()
	cs := &contents{store: store, params: o.Chunk, chunking: !o.NoChunking, alg: hash.SHA1, compress: !o.NoCompression, prev: prev.files, stats: stats}
	root, err := scan(ctx, o, cs)
	if err != nil {
		return nil, err
	}
	if err := markNested(root); err != nil {
		return nil, err
	}
	now := o.Now()
	work, err := store.TempDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	cb := &catalogs{store: store, work: work, now: now.Unix(), ttl: o.TTL, revision: prev.manifest.Revision + 1, prev: prev.catalogs, stats: stats}
	rootCat, err := cb.build(root)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m, err := store.Commit(o.FQRN, ks, prev.manifest, repo.Revision{RootCatalog: rootCat.ref.Hash, RootSize: rootCat.ref.Size,
		Revision: cb.revision, LastModified: cb.now, TTL: uint64(o.TTL), Tag: o.Tag, TagDescription: o.TagDescription}, now)
	if err != nil {
		return nil, err
	}
	stats.Duration = time.Since(start)
	slog.Debug("published", "fqrn", o.FQRN, "revision", m.Revision, "root", m.RootCatalog)
	return &Result{Manifest: m, Stats: *stats}, nil
}

func (o *Options) defaults() error {
	if o.Workers <= 0 {
		o.Workers = 2 * runtime.GOMAXPROCS(0)
	}
	if o.Chunk == (chunk.Params{}) {
		o.Chunk = chunk.DefaultParams()
	}
	if err := o.Chunk.Validate(); err != nil {
		return err
	}
	if o.TTL <= 0 {
		o.TTL = catalog.DefaultTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Tag != "" {
		if o.Tag == "trunk" || o.Tag == "trunk-previous" {
			return fmt.Errorf("tag %q is maintained automatically; choose another name", o.Tag)
		}
	}
	return nil
}

// scan reads the source, stores contents and returns the new tree.
func scan(ctx context.Context, o Options, cs *contents) (*node, error) {
	src, err := source.Open(o.Source, source.Options{Xattrs: true, Workers: o.Workers, Stdin: o.Stdin})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	var mu sync.Mutex
	var dirtabText string
	results := map[string]*node{}
	tree, err := src.Scan(func(e *source.Entry, r io.Reader) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := &node{e: catalog.Entry{Path: e.Path, Size: e.Size, Mtime: e.Mtime, MtimeNs: e.MtimeNS, Mode: e.Mode}}
		if e.Path == "/.cvmfsdirtab" {
			b, err := io.ReadAll(io.LimitReader(r, 1<<20))
			if err != nil {
				return fmt.Errorf("/.cvmfsdirtab: %w", err)
			}
			dirtabText, r = string(b), bytes.NewReader(b)
		}
		if e.Path == "/.cvmfsdirtab" || !cs.reuse(n) {
			if err := cs.process(n, r); err != nil {
				return err
			}
		}
		mu.Lock()
		results[e.Path] = n
		mu.Unlock()
		return nil
	})
	if err != nil {
		return nil, err
	}
	cs.stats.Entries = int64(len(tree.Entries))
	root, err := assemble(tree, results)
	if err != nil || dirtabText == "" {
		return root, err
	}
	return root, applyDirtab(root, dirtabText, cs)
}

// assemble builds the node tree from the scanned entries and content results.
func assemble(tree *source.Tree, results map[string]*node) (*node, error) {
	b := newTreeBuilder()
	for _, e := range tree.Entries {
		it := Item{Path: e.Path, Mode: e.Mode, Size: e.Size, Mtime: e.Mtime, MtimeNs: e.MtimeNS, UID: e.UID, GID: e.GID,
			Symlink: e.Symlink, Rdev: e.Rdev, Xattrs: e.Xattrs}
		if e.LinkGroup > 0 {
			it.LinkKey = strconv.Itoa(e.LinkGroup)
		}
		n, err := b.add(it)
		if err != nil {
			return nil, err
		}
		if !e.IsRegular() {
			continue
		}
		from := e.Path
		if e.ContentOf != "" {
			from = e.ContentOf
		}
		res := results[from]
		if res == nil {
			return nil, fmt.Errorf("%s: the source delivered no content", e.Path)
		}
		n.e.Hash, n.e.Flags, n.chunks, n.hashed = res.e.Hash, res.e.Flags, res.chunks, true
		if res.digests != nil {
			setPieceDigests(n, res.digests)
		}
	}
	sortTree(b.root)
	return b.root, nil
}

// markNested flags directories holding a .cvmfscatalog marker.
func markNested(root *node) error {
	if c := root.child(".cvmfscatalog"); c != nil {
		return errors.New("/.cvmfscatalog: the repository root is always a catalog; remove this marker")
	}
	return walk(root, func(n *node) error {
		if n.isDir() && n != root {
			if c := n.child(".cvmfscatalog"); c != nil && c.e.IsRegular() {
				n.nested = true
			}
		}
		return nil
	})
}
