package catalog_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
)

// FuzzCatalogFile opens arbitrary bytes as a catalog and runs every query:
// errors, never panics or hangs. Seeds: the fixture's real catalogs.
func FuzzCatalogFile(f *testing.F) {
	f.Add([]byte("SQLite format 3\x00"))
	for _, p := range fixtureCatalogs(f) {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "c.db")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := catalog.Open(p)
		if err != nil {
			return
		}
		defer c.Close()
		if e, err := c.Lookup(c.RootPrefix); err == nil {
			if list, err := c.List(e.Path); err == nil && len(list) > 0 {
				c.Chunks(list[0])
				c.Xattrs(list[0])
			}
		}
		wide(c)
	})
}
