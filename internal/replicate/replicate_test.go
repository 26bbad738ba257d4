package replicate_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/replicate"
	"github.com/ucvm/ucvm/internal/repo"
	"github.com/ucvm/ucvm/internal/repotest"
	"github.com/ucvm/ucvm/internal/testutil"
	"github.com/ucvm/ucvm/internal/tree"
)

func serveDir(t *testing.T, storage, fqrn string) reader.Source {
	t.Helper()
	src, _ := repotest.Serve(t, storage, fqrn)
	return src
}

func listing(t *testing.T, src reader.Source, fqrn string, masters []*rsa.PublicKey, tag string) string {
	t.Helper()
	cache, _ := reader.NewDirCache(t.TempDir())
	r, err := reader.Open(context.Background(), reader.Options{FQRN: fqrn, Source: src, Cache: cache, MasterKeys: masters, Tag: tag})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	lines, err := tree.FromRepo(context.Background(), r)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	tree.Write(&b, lines)
	return b.String()
}

// TestSnapshotOfFixture replicates the repository written by the original
// cvmfs_server; every tag of the replica lists like the original.
func TestSnapshotOfFixture(t *testing.T) {
	dir := testutil.FixtureRepo(t)
	const fqrn = "test.repo.local"
	masters, err := keys.LoadPublic(filepath.Join(dir, fqrn+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	replica := filepath.Join(t.TempDir(), "replica")
	st, err := replicate.Snapshot(context.Background(), replicate.Options{FQRN: fqrn, Source: serveDir(t, dir, fqrn), Storage: replica, MasterKeys: masters})
	if err != nil {
		t.Fatal(err)
	}
	if st.Revision != 4 || st.Objects == 0 {
		t.Fatalf("%+v", st)
	}
	for _, tag := range []string{"v1", "v2", "v3"} {
		want, _ := os.ReadFile(filepath.Join(dir, "listing."+tag+".txt"))
		got := listing(t, reader.DirSource{Dir: replica}, fqrn, masters, tag)
		if d := tree.Diff(string(want), got, 10); d != "" {
			t.Fatalf("replica tag %s:\n%s", tag, d)
		}
	}
}

// TestIncrementalSnapshot: a second snapshot after a new publish fetches
// only what is new and the replica serves the new head.
func TestIncrementalSnapshot(t *testing.T) {
	d := t.TempDir()
	const fqrn = "origin.ucvm.local"
	storage, keysDir, src := filepath.Join(d, "s"), filepath.Join(d, "k"), filepath.Join(d, "src")
	if _, _, err := repo.Create(fqrn, storage, keysDir, time.Now()); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(src, "n"), 0o755)
	os.WriteFile(filepath.Join(src, "a"), bytes.Repeat([]byte("a"), 100000), 0o644)
	os.WriteFile(filepath.Join(src, "n", ".cvmfscatalog"), nil, 0o644)
	os.WriteFile(filepath.Join(src, "n", "b"), []byte("b"), 0o644)
	pub := func(tag string) {
		if _, err := publish.Publish(context.Background(), publish.Options{FQRN: fqrn, Storage: storage, Keys: keysDir, Source: src, Tag: tag}); err != nil {
			t.Fatal(err)
		}
	}
	pub("v1")
	masters, _ := keys.LoadPublic(keysDir)
	upstream := serveDir(t, storage, fqrn)
	replica := filepath.Join(d, "replica")
	snap := func() *replicate.Stats {
		st, err := replicate.Snapshot(context.Background(), replicate.Options{FQRN: fqrn, Source: upstream, Storage: replica, MasterKeys: masters})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	first := snap()
	os.WriteFile(filepath.Join(src, "c"), []byte("new file"), 0o644)
	pub("v2")
	second := snap()
	if second.Objects >= first.Objects || second.CatalogsPresent == 0 {
		t.Fatalf("incremental snapshot refetched too much: first %+v second %+v", first, second)
	}
	for _, tag := range []string{"v1", "v2", ""} {
		want := listing(t, reader.DirSource{Dir: storage}, fqrn, masters, tag)
		if got := listing(t, reader.DirSource{Dir: replica}, fqrn, masters, tag); got != want {
			t.Fatalf("replica tag %q differs:\n%s", tag, tree.Diff(want, got, 10))
		}
	}
}

func TestNotReplicable(t *testing.T) {
	d := t.TempDir()
	const fqrn = "closed.ucvm.local"
	storage := filepath.Join(d, "s")
	if _, _, err := repo.Create(fqrn, storage, filepath.Join(d, "k"), time.Now()); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(storage, ".cvmfs_master_replica"))
	masters, _ := keys.LoadPublic(filepath.Join(d, "k"))
	_, err := replicate.Snapshot(context.Background(), replicate.Options{FQRN: fqrn, Source: serveDir(t, storage, fqrn), Storage: filepath.Join(d, "r"), MasterKeys: masters})
	if err == nil {
		t.Fatal("replicated a repository without .cvmfs_master_replica")
	}
}
