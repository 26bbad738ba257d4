package histwrite

import (
	"errors"
	"github.com/ucvm/ucvm/internal/cvmfs/history"
	"os"
	"path/filepath"
	"testing"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

func TestFixtureReflog(t *testing.T) {
	src := filepath.Join(fixtureDir(), ".cvmfsreflog")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	r, err := OpenReflog(src, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.FQRN() != "test.repo.local" {
		t.Fatalf("fqrn %q", r.FQRN())
	}
	all, err := r.List()
	if err != nil || len(all) != 12 {
		t.Fatalf("%d refs: %v", len(all), err)
	}
	cats, _ := r.List(RefCatalog)
	if len(cats) != 5 || cats[len(cats)-1].Hash.String() != "333600a63c242a5ad92a7b86973a2a96c8eb4a65" {
		t.Fatalf("catalog refs %+v", cats)
	}
	// Every reflog entry is an object present in the fixture's data/.
	for _, ref := range all {
		if _, err := os.Stat(filepath.Join(fixtureDir(), ref.Hash.ObjectPath(ref.Type.Suffix()))); err != nil && ref.Type != RefCatalog {
			t.Errorf("reflog names missing object: %v", err)
		}
	}
	if ok, _ := r.Contains(fixtureHistory(t)); !ok {
		t.Fatal("current history object not in reflog")
	}
}

func TestReflogOps(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".cvmfsreflog")
	r, err := CreateReflog(p, "demo.local")
	if err != nil {
		t.Fatal(err)
	}
	for i, ref := range []Ref{{h1, RefCatalog, 10}, {h2, RefHistory, 11}, {h3, RefCertificate, 12}, {h1, RefCatalog, 13}} {
		if err := r.Add(ref); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
	}
	if err := r.Add(Ref{Hash: h1, Type: 9}); err == nil {
		t.Fatal("unknown type accepted")
	}
	if err := r.Remove(h2); err != nil {
		t.Fatal(err)
	}
	if err := r.Remove(h2); !errors.Is(err, history.ErrNotFound) {
		t.Fatalf("second remove: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	checkRollbackJournal(t, p)
	real := filepath.Join(fixtureDir(), ".cvmfsreflog")
	if _, err := os.Stat(real); err == nil {
		got, want := schemaSQL(t, p), schemaSQL(t, real)
		if got["refs"] != want["refs"] || got["properties"] != want["properties"] {
			t.Fatalf("reflog DDL differs from the real one:\n%q\n%q", got, want)
		}
	}
	r, err = OpenReflog(p, true)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	refs, _ := r.List()
	if len(refs) != 2 || refs[1].Hash.String() != h1.String() || refs[1].Timestamp != 13 {
		t.Fatalf("refs %+v (INSERT OR REPLACE must keep one row per hash)", refs)
	}
	if err := r.Add(Ref{hash.Hash{}, RefCatalog, 1}); err == nil {
		t.Fatal("add on read-only reflog or zero hash accepted")
	}
}
