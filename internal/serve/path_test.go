package serve

import (
	"path"
	"strings"
	"testing"
)

// FuzzSafeRel: every accepted request path stays inside the storage root.
func FuzzSafeRel(f *testing.F) {
	for _, s := range []string{".cvmfspublished", "data/e8/ec3d", "../x", "a/./b", "a//b", "a/..", "..\\x", "", "a/b/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rel string) {
		if !safeRel(rel) {
			return
		}
		if path.Clean("/"+rel) != "/"+rel || strings.Contains(rel, "..\\") || strings.HasPrefix(rel, "/") {
			t.Fatalf("accepted unsafe path %q", rel)
		}
		for _, c := range strings.Split(rel, "/") {
			if c == ".." || c == "." || c == "" {
				t.Fatalf("accepted %q", rel)
			}
		}
	})
}
