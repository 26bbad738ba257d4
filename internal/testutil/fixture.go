package testutil

import (
	"bytes"
	"compress/zlib"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Inflate returns the zlib-inflated content of a repository object file
// (e.g. a fixture catalog, data/xx/…C), failing the test on any error.
func Inflate(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return plain
}

// FixtureObjects returns the object files of the fixture repository whose
// names (below data/xx/) match pattern, e.g. "*C" for the catalogs.
func FixtureObjects(t testing.TB, pattern string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(FixtureRepo(t), "data", "*", pattern))
	if len(files) == 0 {
		missing(t, "the fixture repository has no objects %s", pattern)
	}
	return files
}

// InflateToFile inflates an object file into a new file of a temporary
// directory (e.g. a catalog to open with SQLite) and returns its path.
func InflateToFile(t testing.TB, path string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(p, Inflate(t, path), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
