package bootvm

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/image/imagetest"
	"github.com/ucvm/ucvm/internal/image/initrd"
	"github.com/ucvm/ucvm/internal/image/spec"
	"github.com/ucvm/ucvm/internal/kexec"
	"github.com/ucvm/ucvm/internal/qemu"
	"path/filepath"
)

func TestUpdateRebaseAndKexec(t *testing.T) {
	requireVM(t)
	r := newOSRepo(t)
	k := imagetest.Kernel(t)
	o := initrd.Options{
		Init: imagetest.Bootloader(t), StrongVersion: "2026.11-2.ucvm.x86_64", Kernel: k,
		Modules: []string{"sha256_ssse3", "virtio_pci", "virtio_blk", "virtio_net", "virtio_rng", "crc32c_generic", "ext4",
			"overlay", "fuse", "loop", "erofs", "isofs", "vfat", "nls_cp437", "nls_ascii", "nls_utf8"},
		Branch:   spec.Branch{Name: "test", FQRN: fqrn, OSPath: osPath, Servers: []string{repoHost}, Tag: "v1"},
		KeyFiles: []string{filepath.Join(r.keys, fqrn+".pub")}, Busybox: "/bin/busybox",
		Compression: "zstd-fast", Epoch: 1_790_000_000,
	}
	var ird bytes.Buffer
	if _, err := initrd.Build(o, &ird); err != nil {
		t.Fatal(err)
	}
	bz, _ := os.ReadFile(k.Vmlinuz)
	a := kexec.Apply{Version: "2026.11-2.ucvm.x86_64", Kernel: "vmlinuz-" + k.Version, Initrd: "initrd.2026.11-2"}
	r.pack = map[string][]byte{"apply": []byte(a.String()), a.Kernel: bz, a.Initrd: ird.Bytes()}
	r.publish(t, "v1b", "release-1")
	r.publish(t, "v2", "release-2")
	drives := []qemu.Drive{{File: sparseDisk(t, 1<<30)}}

	vm := bootVM(t, r, vmOpts{disks: drives, append: "cvmfs_repository_tag=v1b ucvmtest.localchanges ucvmtest.stage ucvmtest.forcetag=v2"})
	marker(t, vm, `UCVM-OS-INIT release=release-1`)
	marker(t, vm, `UCVM-CHANGED`)
	marker(t, vm, `UCVM-STAGED`)
	marker(t, vm, `UCVM-FORCED`)
	waitOff(t, vm)

	vm = bootVM(t, r, vmOpts{disks: drives})
	marker(t, vm, `ucvm bootloader 2026.11-1.ucvm.x86_64`)
	marker(t, vm, `kexec into bootloader 2026.11-2.ucvm.x86_64`)
	marker(t, vm, `ucvm bootloader 2026.11-2.ucvm.x86_64`)
	marker(t, vm, `Rebasing system to new version\.\.\. check`)
	marker(t, vm, `Merging account databases\.\.\. check`)
	marker(t, vm, `UCVM-OS-INIT release=release-2`)
	m := marker(t, vm, `UCVM-FILES tool=(\S+) gone=(\S+) local=(\S+) users=(.*)`)
	if m[1] != "release-2" || m[2] != "release-2" || m[3] != "local" || !strings.Contains(m[4], "alice:1000") || !strings.Contains(m[4], "svc:1001") {
		t.Fatalf("after the update: %q", m)
	}
	waitOff(t, vm)
}
