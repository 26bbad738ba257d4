package bootvm

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/boot"
	"github.com/ucvm/ucvm/internal/qemu"
)

// TestLifecycle: first boot partitions and formats an empty sparse disk
// and reaches the OS init; the second boot mounts the same pinned snapshot
// although a newer revision was published, and a file written in the OS
// survived; a forced tag moves to the new revision, whose boot pack is
// unpacked as its boot layer before the OS starts; with the server gone
// the pinned snapshot boots from the cache.
func TestLifecycle(t *testing.T) {
	requireVM(t)
	r := newOSRepo(t)
	disk := sparseDisk(t, 1<<30)
	drives := []qemu.Drive{{File: disk}}

	// With Debian's e2fsprogs in the initrd: mke2fs, fsck on every boot,
	// and the aux/resize marker.
	vm := bootVM(t, r, vmOpts{disks: drives, e2fs: true})
	marker(t, vm, `ucvm bootloader 2026.11-1.ucvm.x86_64`)
	marker(t, vm, `Partitioning /dev/vda\.\.\. check`)
	marker(t, vm, `Formatting /dev/vda1\.\.\. check`)
	marker(t, vm, `connected to `+fqrn)
	m := marker(t, vm, `UCVM-OS-INIT release=(\S+) snapshot=([0-9a-f]{40})`)
	if m[1] != "release-1" || m[2] == "" {
		t.Fatalf("first boot: %v", m)
	}
	pin := m[2]
	marker(t, vm, `UCVM-PERSIST 1`)
	if l := marker(t, vm, `UCVM-LOWER (\S*)`)[1]; l != "lowerdir="+boot.ModulesLayer+":/root.ro/"+osPath {
		t.Errorf("first boot: %s, want the repository alone", l)
	}
	checkModules(t, vm)
	// at shutdown the client writes what this boot read as a boot layer
	marker(t, vm, `boot layer written in [0-9.]+ s: dir /root.rw/bootlayer/`+pin+` files [1-9]`)
	waitOff(t, vm)
	hits1 := r.hits.get()

	// v2 ships a boot pack: the first boot of that snapshot loads its image
	r.bootList = []string{"bin/busybox", "sbin/init", "etc/release", "usr/tool"}
	r.publish(t, "v2", "release-2-newer")
	vm = bootVM(t, r, vmOpts{disks: drives, append: "ucvmtest.forcetag=v2", e2fs: true})
	m = marker(t, vm, `UCVM-OS-INIT release=(\S+) snapshot=([0-9a-f]{40})`)
	if m[1] != "release-1" || m[2] != pin {
		t.Fatalf("second boot did not keep the pinned snapshot %s: %v", pin, m)
	}
	marker(t, vm, `UCVM-FSCK UROOT: clean`)
	marker(t, vm, `UCVM-PERSIST 2`)
	if l := marker(t, vm, `UCVM-LOWER (\S*)`)[1]; l != "lowerdir="+boot.ModulesLayer+":/root.rw/bootlayer/"+pin+"/"+osPath+":/root.ro/"+osPath {
		t.Errorf("second boot of the same snapshot: %s, want its boot layer above the repository", l)
	}
	checkModules(t, vm)
	marker(t, vm, `UCVM-FORCED`)
	waitOff(t, vm)
	if strings.Contains(vm.Console(), "Partitioning") || strings.Contains(vm.Console(), "Contextualizing") {
		t.Error("second boot partitioned or contextualized again")
	}

	vm = bootVM(t, r, vmOpts{disks: drives, append: "ucvmtest.unforce ucvmtest.resize", e2fs: true})
	m = marker(t, vm, `UCVM-OS-INIT release=(\S+) snapshot=([0-9a-f]{40})`)
	if m[1] != "release-2-newer" || m[2] == pin {
		t.Fatalf("forced tag v2 not mounted: %v", m)
	}
	newPin := m[2]
	marker(t, vm, `UCVM-PERSIST 3`)
	marker(t, vm, `4 files, 1 symlinks, [0-9.]+ MB in a [0-9.]+ MB image`) // the boot pack step (kernel messages may split its line)
	if l := marker(t, vm, `UCVM-LOWER (\S*)`)[1]; l != "lowerdir="+boot.ModulesLayer+":/root.rw/bootlayer/"+newPin+"/"+osPath+":/root.ro/"+osPath {
		t.Errorf("first boot of a snapshot with a boot pack: %s, want the pack's image above the repository", l)
	}
	checkModules(t, vm)
	waitOff(t, vm)

	r.stop()
	if err := os.Truncate(disk, 2<<30); err != nil {
		t.Fatal(err)
	}
	vm = bootVM(t, r, vmOpts{disks: drives, e2fs: true})
	marker(t, vm, `Resizing root partition /dev/vda1\.\.\. check`)
	marker(t, vm, `connected to `+fqrn)
	m = marker(t, vm, `UCVM-OS-INIT release=(\S+) snapshot=([0-9a-f]{40})`)
	if m[1] != "release-2-newer" || m[2] != newPin {
		t.Fatalf("offline boot: %v", m)
	}
	marker(t, vm, `UCVM-PERSIST 4`)
	if df, _ := strconv.Atoi(marker(t, vm, `UCVM-DF (\d+)`)[1]); df < 1500 {
		t.Errorf("scratch file system not grown to ~2 GiB: %d MiB", df)
	}
	waitOff(t, vm)
	t.Logf("first boot: %d HTTP requests to the repository", hits1)
}

// checkModules: the OS sees the initrd's kernel modules (ModulesLayer)
// without a copy in the scratch disk's upper layer.
func checkModules(t *testing.T, vm *qemu.VM) {
	t.Helper()
	if m := marker(t, vm, `UCVM-MODULES (\S*) upper=(\d+)`); m[1] == "" || strings.HasSuffix(m[1], ":") || m[2] != "0" {
		t.Errorf("kernel modules in the OS: %q, %s in the upper layer", m[1], m[2])
	}
}
