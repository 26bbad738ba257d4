package bootbin

import (
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ucvm/ucvm/internal/testutil"
)

func TestFindModuleRoot(t *testing.T) {
	root, err := FindModuleRoot(filepath.Join(testutil.RepoRoot(), "internal", "image"))
	if err != nil || root != testutil.RepoRoot() {
		t.Fatalf("root %q, %v", root, err)
	}
	if _, err := FindModuleRoot("/"); !errors.Is(err, ErrBuild) {
		t.Fatalf("no go.mod: %v", err)
	}
}

// The bootloader is static (no interpreter), stripped and reproducible.
func TestBuildStaticReproducible(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for _, p := range []string{a, b} {
		if err := BuildBootloader(context.Background(), testutil.RepoRoot(), "./cmd/ucvm-init", p); err != nil {
			t.Fatal(err)
		}
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		t.Fatal("two bootloader builds differ")
	}
	f, err := elf.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("bootloader is dynamically linked")
		}
	}
	if f.Section(".symtab") != nil {
		t.Fatal("bootloader is not stripped")
	}
	err = BuildBootloader(context.Background(), testutil.RepoRoot(), "./cmd/no-such-command", filepath.Join(dir, "c"))
	if !errors.Is(err, ErrBuild) {
		t.Fatalf("bad package: %v", err)
	}
}
