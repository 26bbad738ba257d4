package formats

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/qemu"
)

// build runs a format twice and checks the outputs are byte-identical.
func buildTwice(t *testing.T, in *Input, f func(context.Context, *Input, string) error, name string) string {
	t.Helper()
	// Same file name in two directories: some formats record their name.
	a, b := filepath.Join(t.TempDir(), "image."+name), filepath.Join(t.TempDir(), "image."+name)
	for _, p := range []string{a, b} {
		start := time.Now()
		if err := f(context.Background(), in, p); err != nil {
			t.Fatal(err)
		}
		t.Logf("%s built in %v", name, time.Since(start))
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if !bytes.Equal(da, db) {
		for i := range da {
			if i >= len(db) || da[i] != db[i] {
				t.Fatalf("%s: two builds differ (first at byte %d of %d/%d)", name, i, len(da), len(db))
			}
		}
		t.Fatalf("%s: two builds differ in length %d/%d", name, len(da), len(db))
	}
	return a
}

func bootBanner(t *testing.T, cfg qemu.Config) {
	t.Helper()
	cfg.Timeout = 150 * time.Second
	vm := qemu.StartT(t, cfg)
	vm.MustWaitFor(t, `ucvm bootloader `+testVersion, 140*time.Second)
	if err := vm.WaitExit(30 * time.Second); err != nil {
		t.Fatalf("no power-off after banner: %v", err)
	}
}

func TestISOBootsBIOSAndUEFI(t *testing.T) {
	in := testInput(t)
	iso := buildTwice(t, in, ISO, "iso")
	fi, _ := os.Stat(iso)
	t.Logf("iso size %d", fi.Size())
	t.Run("bios", func(t *testing.T) { t.Parallel(); bootBanner(t, qemu.Config{CDROM: iso}) })
	t.Run("uefi", func(t *testing.T) { t.Parallel(); bootBanner(t, qemu.Config{CDROM: iso, Firmware: qemu.FirmwareUEFI}) })
}

func TestHDDBoots(t *testing.T) {
	in := testInput(t)
	hdd := buildTwice(t, in, HDD, "hdd")
	bootBanner(t, qemu.Config{Drives: []qemu.Drive{{File: hdd, Interface: "ide", Snapshot: true}}})
}
