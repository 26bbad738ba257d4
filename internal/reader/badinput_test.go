package reader_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/sha1"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/cvmfs/manifest"
	"github.com/ucvm/ucvm/internal/cvmfs/whitelist"
	"github.com/ucvm/ucvm/internal/fetch"
	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/repo"
)

const fqrn = "bad.ucvm.local"

type repoFixture struct {
	storage, keys string
	masters       []*rsa.PublicKey
	m             *manifest.Manifest
}

func newRepo(t *testing.T) *repoFixture {
	d := t.TempDir()
	f := &repoFixture{storage: filepath.Join(d, "s"), keys: filepath.Join(d, "k")}
	if _, _, err := repo.Create(fqrn, f.storage, f.keys, time.Now()); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(d, "src")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.WriteFile(filepath.Join(src, "secret.txt"), bytes.Repeat([]byte("verified content "), 100), 0o644)
	os.WriteFile(filepath.Join(src, "sub", ".cvmfscatalog"), nil, 0o644)
	os.WriteFile(filepath.Join(src, "sub", "f"), []byte("in a nested catalog"), 0o644)
	res, err := publish.Publish(context.Background(), publish.Options{FQRN: fqrn, Storage: f.storage, Keys: f.keys, Source: src})
	if err != nil {
		t.Fatal(err)
	}
	f.m = res.Manifest
	if f.masters, err = keys.LoadPublic(f.keys); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *repoFixture) open(t *testing.T, src reader.Source, name string) (*reader.Repo, error) {
	cache, _ := reader.NewDirCache(t.TempDir())
	return reader.Open(context.Background(), reader.Options{FQRN: name, Source: src, Cache: cache, MasterKeys: f.masters})
}

func (f *repoFixture) objectPath(t *testing.T, r *reader.Repo, p string) string {
	n, err := r.Lookup(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(f.storage, n.Hash.ObjectPath(hash.SuffixNone))
}

func flipByte(t *testing.T, path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x40
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTamperedObjectOverHTTP: a tampered file object yields an error and not
// a single byte of it, through the real download manager.
func TestTamperedObjectOverHTTP(t *testing.T) {
	f := newRepo(t)
	srv := httptest.NewServer(http.StripPrefix("/cvmfs/"+fqrn, http.FileServer(http.Dir(f.storage))))
	defer srv.Close()
	cfg := fetch.DefaultConfig()
	cfg.Hosts = fetch.ParseHostList(srv.URL+"/cvmfs/@fqrn@", fqrn)
	fe, err := fetch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := f.open(t, reader.FetchSource{F: fe}, fqrn)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	flipByte(t, f.objectPath(t, r, "/secret.txt"))
	n, _ := r.Lookup(context.Background(), "/secret.txt")
	file, err := r.Open(context.Background(), n)
	if err == nil {
		b, _ := io.ReadAll(io.NewSectionReader(file, 0, file.Size()))
		t.Fatalf("tampered object opened, %d bytes readable", len(b))
	}
	if !errors.Is(err, reader.ErrBadData) && !errors.Is(err, fetch.ErrBadData) {
		t.Fatalf("want bad data, got %v", err)
	}
	h := sha1.New()
	empty := h.Sum(nil)
	if err := r.Digest(context.Background(), n, h); err == nil {
		t.Fatal("Digest accepted a tampered object")
	}
	if !bytes.Equal(h.Sum(nil), empty) {
		t.Fatal("bytes of a tampered object reached the digest")
	}
}

func TestBadInputs(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(t *testing.T, f *repoFixture)
		fqrn  string
		want  error
	}{
		{"wrong repository name", func(*testing.T, *repoFixture) {}, "other.ucvm.local", reader.ErrBadSignature},
		{"truncated manifest", func(t *testing.T, f *repoFixture) {
			p := filepath.Join(f.storage, ".cvmfspublished")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, b[:len(b)-100], 0o644)
		}, fqrn, reader.ErrBadSignature},
		{"manifest body changed", func(t *testing.T, f *repoFixture) {
			p := filepath.Join(f.storage, ".cvmfspublished")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, bytes.Replace(b, []byte("D240"), []byte("D999"), 1), 0o644)
		}, fqrn, reader.ErrBadSignature},
		{"unknown signing key", func(t *testing.T, f *repoFixture) {
			other, _ := keys.Generate(fqrn)
			m := *f.m
			raw, _ := m.Sign(other.Key)
			os.WriteFile(filepath.Join(f.storage, ".cvmfspublished"), raw, 0o644)
		}, fqrn, reader.ErrBadSignature},
		{"expired whitelist", func(t *testing.T, f *repoFixture) {
			ks, _ := keys.Load(f.keys, fqrn)
			raw, _ := whitelist.Create(fqrn, [][]byte{ks.Certificate.Raw}, time.Now().Add(-60*24*time.Hour), 30*24*time.Hour, ks.Master)
			os.WriteFile(filepath.Join(f.storage, ".cvmfswhitelist"), raw, 0o644)
		}, fqrn, reader.ErrExpired},
		{"whitelist of another master key", func(t *testing.T, f *repoFixture) {
			ks, _ := keys.Load(f.keys, fqrn)
			other, _ := keys.Generate(fqrn)
			raw, _ := whitelist.Create(fqrn, [][]byte{ks.Certificate.Raw}, time.Now(), 24*time.Hour, other.Master)
			os.WriteFile(filepath.Join(f.storage, ".cvmfswhitelist"), raw, 0o644)
		}, fqrn, reader.ErrBadSignature},
		{"missing root catalog", func(t *testing.T, f *repoFixture) {
			os.Remove(filepath.Join(f.storage, f.m.RootCatalog.ObjectPath(hash.SuffixCatalog)))
		}, fqrn, reader.ErrNotFound},
		{"tampered root catalog", func(t *testing.T, f *repoFixture) {
			flipByte(t, filepath.Join(f.storage, f.m.RootCatalog.ObjectPath(hash.SuffixCatalog)))
		}, fqrn, reader.ErrBadData},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newRepo(t)
			c.spoil(t, f)
			r, err := f.open(t, reader.DirSource{Dir: f.storage}, c.fqrn)
			if err == nil {
				r.Close()
				t.Fatal("accepted")
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

// TestMissingNestedCatalog: the root opens, the subtree fails cleanly.
func TestMissingNestedCatalog(t *testing.T) {
	f := newRepo(t)
	probe, err := f.open(t, reader.DirSource{Dir: f.storage}, fqrn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := probe.ReadDir(context.Background(), "/sub"); err != nil {
		t.Fatal(err)
	}
	var nested hash.Hash
	for _, c := range probe.LoadedCatalogs() {
		if c.Mount == "/sub" {
			nested = c.Hash
		}
	}
	probe.Close()
	if nested.IsZero() {
		t.Fatal("/sub is not a nested catalog")
	}
	os.Remove(filepath.Join(f.storage, nested.ObjectPath(hash.SuffixCatalog)))
	r, err := f.open(t, reader.DirSource{Dir: f.storage}, fqrn)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n, err := r.Lookup(context.Background(), "/sub"); err != nil || !n.IsNestedMountpoint() {
		t.Fatalf("mount point itself must resolve from the parent: %v", err)
	}
	if _, err := r.ReadDir(context.Background(), "/sub"); !errors.Is(err, reader.ErrNotFound) {
		t.Fatalf("missing nested catalog: %v", err)
	}
	// its hash comes from the parent's reference, without the object
	if h, err := r.CatalogHash(context.Background(), "/sub"); err != nil || h != nested.String() {
		t.Fatalf("CatalogHash(/sub) = %q, %v; want %s", h, err, nested)
	}
	if _, err := r.CatalogHash(context.Background(), "/nope"); !errors.Is(err, reader.ErrNotFound) {
		t.Fatalf("CatalogHash of no catalog: %v", err)
	}
}

// TestSeedCatalog: a catalog seeded into the cache (as a boot pack carries
// it) serves lookups without its object; data that is not an SQLite
// database of the given size is refused and leaves nothing cached.
func TestSeedCatalog(t *testing.T) {
	f := newRepo(t)
	ctx := context.Background()
	probe, err := f.open(t, reader.DirSource{Dir: f.storage}, fqrn)
	if err != nil {
		t.Fatal(err)
	}
	if m, err := probe.CatalogFor(ctx, "/sub/x"); err != nil || m != "/sub" {
		t.Fatalf("CatalogFor(/sub/x) = %q, %v", m, err)
	}
	if m, err := probe.CatalogFor(ctx, "/sub"); err != nil || m != "" {
		t.Fatalf("CatalogFor(/sub), the mount point's row: %q, %v", m, err)
	}
	h, file, err := probe.CatalogFile(ctx, "/sub")
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	probe.Close()
	os.Remove(filepath.Join(f.storage, h.ObjectPath(hash.SuffixCatalog)))
	r, err := f.open(t, reader.DirSource{Dir: f.storage}, fqrn)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.SeedCatalog(h, int64(len(db)), strings.NewReader("not a database at all")); err == nil || !strings.Contains(err.Error(), "SQLite") {
		t.Fatalf("garbage seeded: %v", err)
	}
	if _, err := r.SeedCatalog(h, int64(len(db))+1, bytes.NewReader(db)); err == nil || !strings.Contains(err.Error(), "the pack says") {
		t.Fatalf("wrong size seeded: %v", err)
	}
	if _, err := r.ReadDir(ctx, "/sub"); !errors.Is(err, reader.ErrNotFound) {
		t.Fatalf("refused seeds left a catalog behind: %v", err)
	}
	if wrote, err := r.SeedCatalog(h, int64(len(db)), bytes.NewReader(db)); !wrote || err != nil {
		t.Fatalf("seed: %v, %v", wrote, err)
	}
	if wrote, err := r.SeedCatalog(h, int64(len(db)), bytes.NewReader(db)); wrote || err != nil {
		t.Fatalf("second seed: wrote %v, %v", wrote, err)
	}
	if ents, err := r.ReadDir(ctx, "/sub"); err != nil || len(ents) == 0 {
		t.Fatalf("seeded catalog: %d entries, %v", len(ents), err)
	}
}
