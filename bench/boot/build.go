package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"

	"github.com/ucvm/ucvm/internal/image/bootbin"
	"github.com/ucvm/ucvm/internal/image/initrd"
	"github.com/ucvm/ucvm/internal/image/spec"
)

func run(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, out)
	}
	return nil
}

func buildInitrd(o initrd.Options, out string) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	_, err = initrd.Build(o, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ucvmInitrd builds the real bootloader initrd for the demo repository.
func (b *bench) ucvmInitrd() (string, error) {
	// the PAC engine placed as the image builder places it
	init, pac, err := bootbin.BuildForInitrd(context.Background(), b.root, "./cmd/ucvm-init", b.path(), bootbin.PACInInit(b.compression), nil)
	if err != nil {
		return "", err
	}
	out := b.path("ucvm.initrd")
	br := spec.Branch{Name: "bench", FQRN: b.fqrn, OSPath: "os", Servers: []string{fmt.Sprintf("10.0.2.2:%d", b.port)}, Tag: b.tag}
	return out, buildInitrd(initrd.Options{Init: init, StrongVersion: "bench", Kernel: b.kern,
		Modules: []string{"sha256_ssse3", "virtio_pci", "virtio_blk", "virtio_net", "virtio_rng", "crc32c_generic", "ext4", "overlay", "fuse", "loop", "erofs"},
		Branch:  br, KeyFiles: []string{filepath.Join(b.work, "keys", b.fqrn+".pub")},
		CACerts: "/etc/ssl/certs/ca-certificates.crt", Busybox: "/bin/busybox", PACHelper: pac, E2fsprogs: false,
		Compression: b.compression}, out)
}

// initPrelude is the start of both minimal initrds: kernel file systems and
// every module of the initrd, in order.
const initPrelude = `#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /proc /sys /dev /newroot /lower /rw
$B mount -t proc proc /proc
$B mount -t sysfs sysfs /sys
$B mount -t devtmpfs devtmpfs /dev
d=$($B ls -d /lib/modules/*)
for m in $($B cat $d/modules.order.ucvm); do $B insmod $d/$m; done
i=0
`

// classicInit mounts the ext4 disk and switches to it: the minimum any
// distribution initrd does for a virtio disk with a modular kernel.
const classicInit = initPrelude + `while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do $B sleep 0.05; i=$((i+1)); done
$B mount -t ext4 /dev/vda /newroot || exec $B sh
$B umount /proc /sys
$B umount /dev
exec $B switch_root /newroot /sbin/init
`

// overlayInit mounts the classic disk read-only under an overlay whose
// upper layer is on the second disk, as the ucvm root is over the
// repository: (d) minus (c) is what the overlay alone costs.
const overlayInit = initPrelude + `while [ ! -b /dev/vdb ] && [ $i -lt 200 ]; do $B sleep 0.05; i=$((i+1)); done
$B mount -t ext4 -o ro /dev/vda /lower || exec $B sh
$B mount -t ext4 /dev/vdb /rw || exec $B sh
$B mkdir -p /rw/upper /rw/work
$B mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot || exec $B sh
$B umount /proc /sys
$B umount /dev
exec $B switch_root /newroot /sbin/init
`

// classicModules are what the classic initrd loads to mount its root.
var classicModules = []string{"virtio_pci", "virtio_blk", "crc32c_generic", "ext4"}

// overlayInitrd builds the initrd of (d).
func (b *bench) overlayInitrd() (string, error) {
	return b.busyboxInitrd("overlay", overlayInit, "overlay")
}

// classicNetInitrd is the classic initrd that also loads virtio_net (f).
func (b *bench) classicNetInitrd() (string, error) {
	return b.busyboxInitrd("net", classicInit, "virtio_net")
}

// busyboxInitrd builds NAME.initrd: the init script, busybox and the
// classic modules plus extra.
func (b *bench) busyboxInitrd(name, init string, extra ...string) (string, error) {
	script := b.path(name + "-init")
	if err := os.WriteFile(script, []byte(init), 0o755); err != nil {
		return "", err
	}
	out := b.path(name + ".initrd")
	return out, buildInitrd(initrd.Options{Init: script, StrongVersion: "classic-" + name, Kernel: b.kern,
		Modules: append(slices.Clone(classicModules), extra...), Busybox: "/bin/busybox", Compression: "zstd"}, out)
}

// classic builds the ext4 disk image of the same tree and its initrd.
func (b *bench) classic() (string, string, error) {
	script := b.path("classic-init")
	if err := os.WriteFile(script, []byte(classicInit), 0o755); err != nil {
		return "", "", err
	}
	out := b.path("classic.initrd")
	err := buildInitrd(initrd.Options{Init: script, StrongVersion: "classic", Kernel: b.kern,
		Modules: classicModules, Busybox: "/bin/busybox", Compression: "zstd"}, out)
	if err != nil {
		return "", "", err
	}
	disk := b.path("classic.img")
	if err := run("mke2fs", "-q", "-F", "-t", "ext4", "-L", "root", "-d", filepath.Join(b.work, "osroot", "os"), disk, "2G"); err != nil {
		return "", "", err
	}
	return out, disk, nil
}
