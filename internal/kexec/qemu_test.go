package kexec

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/image/bootbin"
	"github.com/ucvm/ucvm/internal/image/imagetest"
	"github.com/ucvm/ucvm/internal/image/initrd"
	"github.com/ucvm/ucvm/internal/qemu"
	"github.com/ucvm/ucvm/internal/testutil"
)

// cpio writes an initramfs of files (name -> content) and returns its path.
func cpio(t *testing.T, path string, files map[string][]byte) string {
	t.Helper()
	a := initrd.NewArchive()
	for _, d := range []string{"proc", "sys", "dev", "rw/kexec"} {
		a.Dir(d)
	}
	for name, data := range files {
		perm := uint64(0o644)
		if name == "init" {
			perm = 0o755
		}
		a.File(name, data, perm, initrd.KindOther)
	}
	var b bytes.Buffer
	if err := a.WriteCPIO(&b, 0); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestKexecUnderQEMU boots Debian's kernel with an initramfs whose /init
// calls MaybeApply on a staged update pack of version 2 while running
// version 1: the real kexec_file_load and reboot(LINUX_REBOOT_CMD_KEXEC)
// start the staged kernel with the staged initrd and the same command line,
// whose /init then reports version 2 and finds nothing to do.
func TestKexecUnderQEMU(t *testing.T) {
	if testing.Short() {
		t.Skip("QEMU boot: skipped with -short")
	}
	testutil.RequireCommand(t, "qemu-system-x86_64")
	k := imagetest.Kernel(t)
	d := t.TempDir()
	bin := filepath.Join(d, "kexecinit")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := bootbin.BuildBootloader(ctx, testutil.RepoRoot(), "./internal/kexec/testdata/kexecinit", bin); err != nil {
		t.Fatal(err)
	}
	initBin, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	bz, err := os.ReadFile(k.Vmlinuz)
	if err != nil {
		t.Fatal(err)
	}
	second, err := os.ReadFile(cpio(t, filepath.Join(d, "initrd2"), map[string][]byte{"init": initBin, "version": []byte("2\n")}))
	if err != nil {
		t.Fatal(err)
	}
	a := Apply{Version: "2", Kernel: "vmlinuz-" + k.Version, Initrd: "initrd.2"}
	first := cpio(t, filepath.Join(d, "initrd1"), map[string][]byte{
		"init": initBin, "version": []byte("1\n"),
		"rw/kexec/apply": []byte(a.String()), "rw/kexec/" + a.Kernel: bz, "rw/kexec/" + a.Initrd: second,
	})
	kernel, fw := k.Vmlinuz, qemu.FirmwareDefault
	if k.Vmlinux != "" {
		kernel, fw = k.Vmlinux, qemu.FirmwareQboot
	}
	vm := qemu.StartT(t, qemu.Config{Kernel: kernel, Initrd: first, Firmware: fw, MemoryMB: 768, Timeout: 150 * time.Second,
		Append: "console=ttyS0 quiet panic=-1 cryptomgr.notests kexectest.token=same-cmdline-42"})
	vm.MustWaitFor(t, `KEXEC-TEST running=1 token=same-cmdline-42`, 60*time.Second)
	vm.MustWaitFor(t, `KEXEC-TEST running=2 token=same-cmdline-42`, 120*time.Second)
	vm.MustWaitFor(t, `KEXEC-TEST result running=2: no staged bootloader update to apply`, 20*time.Second)
}
