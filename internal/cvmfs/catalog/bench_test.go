package catalog_test

import (
	"os"
	"sync"
	"testing"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
)

// benchCatalog is a ~100k-entry catalog written once per test binary.
var benchCatalog = struct {
	once  sync.Once
	dir   string
	path  string
	files []string
	dirs  []string
}{}

func benchSetup(b *testing.B) (string, []string, []string) {
	benchCatalog.once.Do(func() {
		dir, err := os.MkdirTemp("", "catalog-bench")
		if err != nil {
			b.Fatal(err)
		}
		benchCatalog.dir = dir
		benchCatalog.path = writeBig(b, dir, 100000)
		c, err := catalog.Open(benchCatalog.path)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		var walk func(string)
		walk = func(dir string) {
			list, err := c.List(dir)
			if err != nil {
				b.Fatal(err)
			}
			if dir != "/wide" {
				benchCatalog.dirs = append(benchCatalog.dirs, dir)
			}
			for _, e := range list {
				if e.IsDir() {
					walk(e.Path)
				} else {
					benchCatalog.files = append(benchCatalog.files, e.Path)
				}
			}
		}
		walk("")
	})
	if len(benchCatalog.files) < 100000 {
		b.Fatalf("bench catalog has %d files", len(benchCatalog.files))
	}
	return benchCatalog.path, benchCatalog.files, benchCatalog.dirs
}

type lookupLister interface {
	Lookup(string) (*catalog.Entry, error)
	List(string) ([]*catalog.Entry, error)
	Close() error
}

func benchReaders(b *testing.B, fn func(b *testing.B, c lookupLister)) {
	path, _, _ := benchSetup(b)
	for _, r := range []struct {
		name string
		open func(string) (lookupLister, error)
	}{
		{"new", func(p string) (lookupLister, error) { return catalog.Open(p) }},
		{"modernc", func(p string) (lookupLister, error) { return refOpen(p) }},
	} {
		b.Run(r.name, func(b *testing.B) {
			c, err := r.open(path)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			fn(b, c)
		})
	}
}

// BenchmarkLookup: one Lookup of a random file of a 100k-entry catalog.
func BenchmarkLookup(b *testing.B) {
	_, files, _ := benchSetup(b)
	benchReaders(b, func(b *testing.B, c lookupLister) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			if _, err := c.Lookup(files[(i*7919)%len(files)]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkList: List of one of the 60 directories of ~830 entries.
func BenchmarkList(b *testing.B) {
	_, _, dirs := benchSetup(b)
	benchReaders(b, func(b *testing.B, c lookupLister) {
		b.ReportAllocs()
		n := 0
		for i := 0; b.Loop(); i++ {
			list, err := c.List(dirs[i%len(dirs)])
			if err != nil {
				b.Fatal(err)
			}
			n += len(list)
		}
		b.ReportMetric(float64(n)/float64(b.N), "entries/op")
	})
}

// BenchmarkOpen: Open and Close of the 100k-entry catalog.
func BenchmarkOpen(b *testing.B) {
	path, _, _ := benchSetup(b)
	for _, r := range []struct {
		name string
		open func(string) (lookupLister, error)
	}{
		{"new", func(p string) (lookupLister, error) { return catalog.Open(p) }},
		{"modernc", func(p string) (lookupLister, error) { return refOpen(p) }},
	} {
		b.Run(r.name, func(b *testing.B) {
			for b.Loop() {
				c, err := r.open(path)
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchCatalog.dir != "" {
		os.RemoveAll(benchCatalog.dir)
	}
	os.Exit(code)
}
