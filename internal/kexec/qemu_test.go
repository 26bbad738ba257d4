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
// calls MaybeApply on a staged update pack of version 2026.11-2 while
// running version 2026.11-1: the real kexec_file_load and
// reboot(LINUX_REBOOT_CMD_KEXEC) start the staged kernel with the staged
// initrd and the same command line. The staged initrd's /init is first the
// test program (it reports version 2026.11-2, the command line token, and
// that nothing is left to apply), then the real bootloader, whose banner
// must show the new version.
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
	bootloader, err := os.ReadFile(imagetest.Bootloader(t))
	if err != nil {
		t.Fatal(err)
	}
	kernel, fw := k.Vmlinuz, qemu.FirmwareDefault
	if k.Vmlinux != "" {
		kernel, fw = k.Vmlinux, qemu.FirmwareQboot
	}
	boot := func(t *testing.T, name string, secondInit []byte, append string) *qemu.VM {
		second, err := os.ReadFile(cpio(t, filepath.Join(d, name+"-2"), map[string][]byte{"init": secondInit, "version": []byte("2026.11-2.ucvm.test\n")}))
		if err != nil {
			t.Fatal(err)
		}
		a := Apply{Version: "2026.11-2.ucvm.test", Kernel: "vmlinuz-" + k.Version, Initrd: "initrd.2026.11-2"}
		first := cpio(t, filepath.Join(d, name+"-1"), map[string][]byte{
			"init": initBin, "version": []byte("2026.11-1.ucvm.test\n"),
			"rw/kexec/apply": []byte(a.String()), "rw/kexec/" + a.Kernel: bz, "rw/kexec/" + a.Initrd: second,
		})
		return qemu.StartT(t, qemu.Config{Name: name, Kernel: kernel, Initrd: first, Firmware: fw, MemoryMB: 768, Timeout: 150 * time.Second,
			Append: "console=ttyS0 quiet panic=-1 cryptomgr.notests kexectest.token=same-cmdline-42 " + append})
	}
	// The two boots run in parallel (one TCG thread each).
	t.Run("test-init", func(t *testing.T) {
		t.Parallel()
		vm := boot(t, "test-init", initBin, "")
		vm.MustWaitFor(t, `KEXEC-TEST running=2026.11-1.ucvm.test token=same-cmdline-42`, 60*time.Second)
		vm.MustWaitFor(t, `KEXEC-TEST running=2026.11-2.ucvm.test token=same-cmdline-42`, 120*time.Second)
		vm.MustWaitFor(t, `KEXEC-TEST result running=2026.11-2.ucvm.test: no staged bootloader update to apply`, 20*time.Second)
	})
	t.Run("real-bootloader", func(t *testing.T) {
		t.Parallel()
		vm := boot(t, "real-bootloader", bootloader, "ucvm.poweroff=banner")
		vm.MustWaitFor(t, `KEXEC-TEST running=2026.11-1.ucvm.test token=same-cmdline-42`, 60*time.Second)
		vm.MustWaitFor(t, `ucvm bootloader 2026.11-2.ucvm.test`, 120*time.Second)
	})
}
