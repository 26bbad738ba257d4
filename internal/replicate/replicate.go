package replicate

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/history"
	"github.com/ucvm/ucvm/internal/cvmfs/manifest"
	"github.com/ucvm/ucvm/internal/cvmfs/object"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/repo"
)

// Options configure a snapshot.
type Options struct {
	FQRN       string
	Source     reader.Source // the upstream repository
	Storage    string        // local replica storage directory (created if missing)
	MasterKeys []*rsa.PublicKey
	Workers    int
	Now        func() time.Time
}

// Stats reports what a snapshot did.
type Stats struct {
	Revision        uint64
	Catalogs        int64
	Objects         int64 // objects downloaded
	Bytes           int64
	CatalogsPresent int64 // subtrees found complete
}

// Snapshot brings the replica up to date with the upstream head.
func Snapshot(ctx context.Context, o Options) (*Stats, error) {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := checkReplicable(ctx, o.Source); err != nil {
		return nil, err
	}
	store, err := repo.Init(o.Storage)
	if err != nil {
		return nil, err
	}
	work, err := store.TempDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	cache, err := reader.NewDirCache(work)
	if err != nil {
		return nil, err
	}
	m, wl, err := reader.VerifyEnsemble(ctx, o.Source, cache, o.FQRN, o.MasterKeys, o.Now())
	if err != nil {
		return nil, err
	}
	p := &puller{o: o, store: store, work: work, stats: &Stats{Revision: m.Revision}}
	if err := p.manifestObjects(ctx, m); err != nil {
		return nil, err
	}
	if err := p.pullCatalog(ctx, m.RootCatalog, -1, true); err != nil {
		return nil, err
	}
	if err := p.pullTags(ctx, m); err != nil {
		return nil, err
	}
	if err := p.finish(ctx, m, wl); err != nil {
		return nil, err
	}
	return p.stats, nil
}

func checkReplicable(ctx context.Context, src reader.Source) error {
	err := src.Get(ctx, ".cvmfs_master_replica", func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
	if errors.Is(err, reader.ErrNotFound) {
		return fmt.Errorf("upstream is not a replication source (no .cvmfs_master_replica): %w", err)
	}
	return err
}

type puller struct {
	o     Options
	store *repo.Storage
	work  string
	stats *Stats
	seq   atomic.Int64
}

// fetchObject downloads an object, verifies it and stores it verbatim.
func (p *puller) fetchObject(ctx context.Context, h hash.Hash, suffix byte) ([]byte, error) {
	var data []byte
	err := p.o.Source.Get(ctx, h.ObjectPath(suffix), func(r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if got := hash.Sum(h.Alg, b); !got.Equal(h) {
			return fmt.Errorf("%w: %s hashes to %s", reader.ErrBadData, h.ObjectPath(suffix), got)
		}
		data = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("object %s: %w", h.ObjectPath(suffix), err)
	}
	atomic.AddInt64(&p.stats.Objects, 1)
	atomic.AddInt64(&p.stats.Bytes, int64(len(data)))
	return data, nil
}

func (p *puller) copyObject(ctx context.Context, h hash.Hash, suffix byte) error {
	if p.store.HasObject(h, suffix) {
		return nil
	}
	data, err := p.fetchObject(ctx, h, suffix)
	if err != nil {
		return err
	}
	_, err = p.store.PutObject(h, suffix, data)
	return err
}

// manifestObjects stores the certificate and meta-info. Unlike the original
// we store the verified upstream bytes verbatim instead of re-compressing.
func (p *puller) manifestObjects(ctx context.Context, m *manifest.Manifest) error {
	if err := p.copyObject(ctx, m.Certificate, hash.SuffixCertificate); err != nil {
		return err
	}
	if !m.MetaInfo.IsZero() {
		return p.copyObject(ctx, m.MetaInfo, hash.SuffixMetainfo)
	}
	return nil
}

// pullCatalog replicates a catalog's subtree; the catalog object is stored
// only after everything it references.
func (p *puller) pullCatalog(ctx context.Context, h hash.Hash, size int64, followPrevious bool) error {
	if p.store.HasObject(h, hash.SuffixCatalog) {
		atomic.AddInt64(&p.stats.CatalogsPresent, 1)
		return nil
	}
	raw, err := p.fetchObject(ctx, h, hash.SuffixCatalog)
	if err != nil {
		return err
	}
	path := filepath.Join(p.work, fmt.Sprintf("cat-%d.db", p.seq.Add(1)))
	plain, err := object.Inflate(raw, -1)
	if err != nil {
		return fmt.Errorf("catalog %s: %w", h, err)
	}
	if err := os.WriteFile(path, plain, 0o600); err != nil {
		return err
	}
	defer os.Remove(path)
	cat, err := catalog.Open(path)
	if err != nil {
		return err
	}
	objs, err := cat.Objects()
	if err == nil {
		err = p.copyAll(ctx, objs)
	}
	nested, nerr := cat.NestedOnly()
	prevHex := cat.Props["previous_revision"]
	cat.Close()
	if err != nil {
		return err
	}
	if nerr != nil {
		return nerr
	}
	if followPrevious && prevHex != "" {
		if prev, err := hash.Parse(prevHex); err == nil {
			if err := p.pullCatalog(ctx, prev, -1, true); err != nil && !errors.Is(err, reader.ErrNotFound) {
				return err
			}
		}
	}
	for _, n := range nested {
		if err := p.pullCatalog(ctx, n.Hash, n.Size, followPrevious); err != nil {
			return err
		}
	}
	atomic.AddInt64(&p.stats.Catalogs, 1)
	_, err = p.store.PutObject(h, hash.SuffixCatalog, raw)
	return err
}

func (p *puller) copyAll(ctx context.Context, objs []catalog.ObjectRef) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(p.o.Workers)
	for _, o := range objs {
		g.Go(func() error { return p.copyObject(gctx, o.Hash, o.Suffix) })
	}
	return g.Wait()
}

// pullTags stores the history database verbatim and replicates every tagged root.
func (p *puller) pullTags(ctx context.Context, m *manifest.Manifest) error {
	if m.History.IsZero() {
		return nil
	}
	raw, err := p.fetchObject(ctx, m.History, hash.SuffixHistory)
	if err != nil {
		return err
	}
	plain, err := object.Inflate(raw, -1)
	if err != nil {
		return err
	}
	path := filepath.Join(p.work, "history.db")
	if err := os.WriteFile(path, plain, 0o600); err != nil {
		return err
	}
	db, err := history.OpenReadOnly(path)
	if err != nil {
		return err
	}
	tags, err := db.List()
	db.Close()
	if err != nil {
		return err
	}
	for _, t := range tags {
		if err := p.pullCatalog(ctx, t.Hash, t.Size, false); err != nil && !(m.GarbageCollect && errors.Is(err, reader.ErrNotFound)) {
			return fmt.Errorf("tag %s: %w", t.Name, err)
		}
	}
	_, err = p.store.PutObject(m.History, hash.SuffixHistory, raw)
	return err
}

// finish copies reflog, whitelist and, last, the manifest, byte for byte.
func (p *puller) finish(ctx context.Context, m *manifest.Manifest, wl []byte) error {
	var reflog bytes.Buffer
	err := p.o.Source.Get(ctx, ".cvmfsreflog", func(r io.Reader) error { reflog.Reset(); _, err := io.Copy(&reflog, r); return err })
	if err == nil && !m.Reflog.IsZero() && hash.Sum(m.Reflog.Alg, reflog.Bytes()).Equal(m.Reflog) {
		if err := p.store.WriteFile(".cvmfsreflog", reflog.Bytes()); err != nil {
			return err
		}
	}
	if err := p.store.WriteFile(".cvmfswhitelist", wl); err != nil {
		return err
	}
	if err := p.store.WriteFile(".cvmfs_last_snapshot", []byte(p.o.Now().UTC().Format(time.UnixDate)+"\n")); err != nil {
		return err
	}
	return p.store.WriteFile(".cvmfspublished", m.Raw)
}
