package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestIdempotentTree: writing the same content or link again leaves the
// file and its directory untouched (times included), so that publishing
// the tree again changes nothing; other content, mode or target is
// written.
func TestIdempotentTree(t *testing.T) {
	dir := t.TempDir()
	p, link := filepath.Join(dir, "unit"), filepath.Join(dir, "wants")
	if err := writeIfChanged(p, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := symlinkIfChanged("/etc/unit", link); err != nil {
		t.Fatal(err)
	}
	old := time.Unix(1_000_000, 0)
	for _, q := range []string{p, dir} {
		os.Chtimes(q, old, old)
	}
	if err := writeIfChanged(p, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := symlinkIfChanged("/etc/unit", link); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{p, dir} {
		if st, _ := os.Stat(q); !st.ModTime().Equal(old) {
			t.Errorf("%s touched by an unchanged write: %v", q, st.ModTime())
		}
	}
	if err := writeIfChanged(p, []byte("a\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755", st.Mode().Perm())
	}
	if err := writeIfChanged(p, []byte("b\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(p); string(b) != "b\n" {
		t.Errorf("content %q, want the new one", b)
	}
	if err := symlinkIfChanged("/etc/other", link); err != nil {
		t.Fatal(err)
	}
	if tgt, _ := os.Readlink(link); tgt != "/etc/other" {
		t.Errorf("link to %q, want /etc/other", tgt)
	}
}
