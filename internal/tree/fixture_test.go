package tree_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/testutil"
	"github.com/ucvm/ucvm/internal/tree"
)

// TestFixtureListings: our listing of every tag of the repository written by
// the original cvmfs_server equals the listing recorded with the original tools.
func TestFixtureListings(t *testing.T) {
	dir := testutil.FixtureRepo(t)
	masters, err := keys.LoadPublic(filepath.Join(dir, "test.repo.local.pub"))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := reader.NewDirCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, tag := range []string{"v1", "v2", "v3", "trunk"} {
		t.Run(tag, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(dir, "listing."+tag+".txt"))
			if err != nil {
				t.Fatal(err)
			}
			r, err := reader.Open(context.Background(), reader.Options{FQRN: "test.repo.local",
				Source: reader.DirSource{Dir: dir}, Cache: cache, MasterKeys: masters, Tag: tag})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			lines, err := tree.FromRepo(context.Background(), r)
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			tree.Write(&got, lines)
			if d := tree.Diff(string(want), got.String(), 20); d != "" {
				t.Fatalf("listing of tag %s differs from the original's:\n%s", tag, d)
			}
		})
	}
}
