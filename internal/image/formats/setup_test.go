package formats

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ucvm/ucvm/internal/image/imagetest"
	"github.com/ucvm/ucvm/internal/image/initrd"
	"github.com/ucvm/ucvm/internal/image/kernel"
	"github.com/ucvm/ucvm/internal/image/spec"
	"github.com/ucvm/ucvm/internal/testutil"
)

var (
	setupOnce sync.Once
	setupIn   *Input
	setupErr  error
	setupDir  string
)

// testVersion appears in the banner the boot tests wait for.
const testVersion = "2026.11-3.ucvm.x86_64"

func TestMain(m *testing.M) {
	code := m.Run()
	if setupDir != "" {
		os.RemoveAll(setupDir)
	}
	os.Exit(code)
}

// testInput builds (once per test binary) a kernel + initrd input whose
// boot menus make the Go /init power off right after its banner.
func testInput(t *testing.T) *Input {
	t.Helper()
	testutil.RequireCommand(t, "apt-get", "dpkg", "depmod", "xorriso", "mformat", "syslinux", "grub-mkimage", "qemu-img")
	setupOnce.Do(func() {
		setupDir, setupErr = os.MkdirTemp("", "ucvm-formats-test-")
		if setupErr != nil {
			return
		}
		setupIn, setupErr = buildInput(setupDir, imagetest.Kernel(t), imagetest.Bootloader(t))
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	in := *setupIn
	in.Work = t.TempDir()
	return &in
}

func buildInput(dir string, k *kernel.Kernel, init string) (*Input, error) {
	br := spec.Branch{Name: "test", FQRN: "test.repo.local", OSPath: "os", Servers: []string{"10.0.2.2:8000"}, Tag: "trunk"}
	img := filepath.Join(dir, "initrd.img")
	f, err := os.Create(img)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	_, err = initrd.Build(initrd.Options{
		Init: init, StrongVersion: testVersion, Kernel: k, Branch: br,
		Modules:     []string{"virtio_pci", "virtio_blk", "crc32c_generic", "ext4", "isofs", "sr_mod", "ata_piix", "sd_mod"},
		Compression: "zstd-fast", Epoch: 1_790_000_000,
	}, f)
	if err != nil {
		return nil, err
	}
	return &Input{Version: testVersion, KernelVersion: k.Version, Kernel: k.Vmlinuz, Initrd: img, Branch: br,
		ExtraParams: "panic=-1 cryptomgr.notests ucvm.poweroff=banner", Epoch: 1_790_000_000}, nil
}
