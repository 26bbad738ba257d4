package kernel

import (
	"context"
	"debug/elf"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ucvm/ucvm/internal/testutil"
)

var (
	fetchOnce sync.Once
	fetched   *Kernel
	fetchErr  error
)

// testKernel fetches (once per machine, cached) Debian's kernel.
func testKernel(t *testing.T) *Kernel {
	t.Helper()
	testutil.RequireCommand(t, "apt-get", "dpkg", "depmod")
	fetchOnce.Do(func() { fetched, fetchErr = Fetch(context.Background(), "") })
	if fetchErr != nil {
		t.Fatal(fetchErr)
	}
	return fetched
}

func TestFetchDebianKernel(t *testing.T) {
	k := testKernel(t)
	if !strings.HasSuffix(k.Version, "-amd64") || k.Package != "linux-image-"+k.Version {
		t.Fatalf("unexpected kernel %+v", k)
	}
	f, err := elf.Open(k.Vmlinux)
	if err != nil {
		t.Fatalf("vmlinux is not ELF: %v", err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 {
		t.Fatalf("vmlinux machine %v", f.Machine)
	}
	// The PVH entry QEMU boots through is an ELF note in vmlinux.
	found := false
	for _, p := range f.Progs {
		if p.Type == elf.PT_NOTE {
			found = true
		}
	}
	if !found {
		t.Fatal("vmlinux has no PT_NOTE (PVH entry)")
	}
	// A second call is served from the cache.
	k2, err := Fetch(context.Background(), "")
	if err != nil || *k2 != *k {
		t.Fatalf("cached fetch: %+v %v", k2, err)
	}
}

func TestClosureOfDebianModules(t *testing.T) {
	k := testKernel(t)
	db, err := LoadModuleDB(k.ModulesDir)
	if err != nil {
		t.Fatal(err)
	}
	order, err := db.Closure([]string{"virtio_pci", "virtio_blk", "crc32c_generic", "ext4", "overlay", "fuse"})
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, p := range order {
		pos[ModuleName(p)] = i
		if _, err := os.Stat(filepath.Join(k.ModulesDir, p)); err != nil {
			t.Fatalf("closure names a missing file: %v", err)
		}
	}
	for _, pair := range [][2]string{{"virtio", "virtio_pci"}, {"crc32c_generic", "jbd2"}, {"jbd2", "ext4"}, {"mbcache", "ext4"}} {
		a, okA := pos[pair[0]]
		b, okB := pos[pair[1]]
		if !okA || !okB || a >= b {
			t.Fatalf("%s must load before %s: order %v", pair[0], pair[1], order)
		}
	}
	if _, err := db.Closure([]string{"no_such_module"}); !errors.Is(err, ErrModuleNotFound) {
		t.Fatalf("unknown module: %v", err)
	}
}

func TestExtractVmlinuxMatchesCache(t *testing.T) {
	k := testKernel(t)
	out := filepath.Join(t.TempDir(), "vmlinux")
	if err := ExtractVmlinux(k.Vmlinuz, out); err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(out)
	b, _ := os.Stat(k.Vmlinux)
	if a.Size() != b.Size() || a.Size() < 20<<20 {
		t.Fatalf("vmlinux sizes %d vs %d", a.Size(), b.Size())
	}
	if err := ExtractVmlinux(filepath.Join(k.ModulesDir, "modules.dep"), out+"2"); !errors.Is(err, ErrNotBzImage) {
		t.Fatalf("non-bzImage: %v", err)
	}
}
