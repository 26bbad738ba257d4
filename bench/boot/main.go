// Command boot is the boot benchmark of issue 6: in one run, with the same
// Debian tree, the same kernel (uncompressed vmlinux through QEMU's PVH entry,
// qboot firmware) and the same QEMU settings, it boots
//
//	(a) ucvm: the bootloader initrd, the OS from the repository, empty cache;
//	(b) ucvm again on the same scratch disk: warm cache;
//	(c) classic: the tree as an ext4 disk image, mounted by a minimal
//	    busybox initrd that only loads the block and ext4 modules;
//
// With -profile, a profiling boot first gives the OS a boot pack
// (/.ucvm_bootpack, see profile.go), as an OS maintainer would; with
// -nopack, each round also boots cold without it.
//
// With -overlay, boots (d) and (e) mount the classic disk read-only under
// an overlay with its upper layer on a second ext4 disk, new in (d) and
// kept for (e) (as (a) and (b) keep the scratch disk): what the overlay
// alone costs.
//
// With -classicnet, boot (f) is the classic disk with the network driver
// (virtio_net) loaded by its initrd, as a classic VM with a network would
// have it: (c) has none (the tree has no kernel package, so its OS loads
// no modules), while ucvm needs the network in its initramfs.
//
// It reports seconds to the OS init (systemd's first line) and to the
// UCVM-OS-UP marker, bytes fetched from the repository, cache size and image
// sizes, as a Markdown table with ratios to (c).
//
//	go run ./bench/boot -work /var/tmp/ucvm-demo/vm   (after `make demo`)
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/image/kernel"
	"github.com/ucvm/ucvm/internal/qemu"
)

type bench struct {
	work, root, fqrn, tag string
	port, smp, runs       int
	icount                int // -icount shift, -1: off
	profile, overlay      bool
	nopack, classicNet    bool
	scratchFormat         string
	compression           string // of the ucvm initrd
	params                string // extra kernel parameters of every ucvm boot
	timeout               time.Duration
	kern                  *kernel.Kernel
	variants              [][2]string // extra warm boots: name, kernel parameters
}

func main() {
	b := &bench{fqrn: "os.demo.ucvm", tag: "bookworm"}
	flag.StringVar(&b.work, "work", "/var/tmp/ucvm-demo/vm", "demo work directory (OS tree, repository, keys from `make demo`)")
	flag.IntVar(&b.port, "port", 8099, "repository server port on 127.0.0.1")
	flag.DurationVar(&b.timeout, "timeout", 10*time.Minute, "limit per boot")
	flag.BoolVar(&b.profile, "profile", false, "first give the OS a boot pack (/"+bootpack.FileName+") made from a profiling boot, and publish it")
	flag.BoolVar(&b.nopack, "nopack", false, "also boot (a) cold without the boot pack (ucvm.bootpack=off) on a second new scratch disk")
	flag.IntVar(&b.runs, "runs", 1, "rounds of the three boots (a, b, c in turn; each round starts with an empty cache); medians are reported")
	flag.StringVar(&b.scratchFormat, "scratch", "raw", "format of the empty 20 GiB scratch disk: raw (a sparse file, as the classic image) or qcow2")
	flag.BoolVar(&b.overlay, "overlay", false, "also boot (d) and (e): the classic disk read-only under an overlay whose upper layer is on a second ext4 disk, empty for (d), kept for (e) (what the overlay alone costs)")
	flag.BoolVar(&b.classicNet, "classicnet", false, "also boot (f): the classic disk with virtio_net loaded by its initrd (a classic VM with a network driver; (c) has none), and report the ratios against it too")
	flag.StringVar(&b.params, "params", "", "extra kernel parameters of every ucvm boot (e.g. ucvm.cpuprofile)")
	flag.StringVar(&b.compression, "compression", "lz4", "compression of the ucvm initrd: lz4 (as the demo image), zstd, xz or none")
	flag.IntVar(&b.smp, "smp", 1, "virtual CPUs of every boot (QEMU -smp; TCG runs them on separate host threads)")
	flag.IntVar(&b.icount, "icount", -1, "`SHIFT`: run every guest with QEMU -icount shift=SHIFT (its clock counts instructions, 2^SHIFT ns each, and real time only while it idles), so that guest uptimes measure the work of a boot, not the host's load")
	flag.Func("variant", "`NAME=PARAMS`: after (b), one more warm boot with these extra kernel parameters (repeatable; e.g. \"no layer=ucvm.bootlayer=off\")", func(v string) error {
		name, params, ok := strings.Cut(v, "=")
		if !ok || name == "" {
			return fmt.Errorf("want NAME=PARAMS, got %q", v)
		}
		b.variants = append(b.variants, [2]string{name, params})
		return nil
	})
	initrdOnly := flag.Bool("initrd-only", false, "build the ucvm initrd (and the classic one) under WORK/bench, print their paths and stop (for boots by hand)")
	flag.Parse()
	run := b.run
	if *initrdOnly {
		run = b.buildOnly
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/boot:", err)
		os.Exit(1)
	}
}

// buildOnly builds both initrds and the classic disk and prints their paths.
func (b *bench) buildOnly() error {
	ucvmInitrd, err := b.prepare()
	if err != nil {
		return err
	}
	classicInitrd, disk, err := b.classic()
	if err != nil {
		return fmt.Errorf("classic image: %w", err)
	}
	fmt.Printf("kernel %s\nucvm initrd %s\nclassic initrd %s\nclassic disk %s\n", b.kern.Vmlinux, ucvmInitrd, classicInitrd, disk)
	return nil
}

func (b *bench) path(p ...string) string {
	return filepath.Join(append([]string{b.work, "bench"}, p...)...)
}

// prepare makes the work directory, fetches the kernel and builds the
// ucvm initrd.
func (b *bench) prepare() (string, error) {
	var err error
	if b.root, err = os.Getwd(); err != nil {
		return "", err
	}
	if err := os.MkdirAll(b.path(), 0o755); err != nil {
		return "", err
	}
	if b.kern, err = kernel.Fetch(context.Background(), kernel.DefaultCacheDir()); err != nil {
		return "", err
	}
	initrd, err := b.ucvmInitrd()
	if err != nil {
		return "", fmt.Errorf("ucvm initrd: %w", err)
	}
	return initrd, nil
}

func (b *bench) run() error {
	if _, err := os.Stat(filepath.Join(b.work, "storage", ".cvmfspublished")); err != nil {
		return fmt.Errorf("no demo repository in %s: run `make demo` first", b.work)
	}
	os.RemoveAll(b.path())
	ucvmInitrd, err := b.prepare()
	if err != nil {
		return err
	}
	if err := b.makeBootPack(ucvmInitrd); err != nil {
		return fmt.Errorf("profiling boot: %w", err)
	}
	classicInitrd, disk, err := b.classic()
	if err != nil {
		return fmt.Errorf("classic image: %w", err)
	}
	stop, fetched, err := b.serve(io.Discard)
	if err != nil {
		return err
	}
	defer stop()
	var rounds [][]result
	for i := 0; i < max(b.runs, 1); i++ {
		res, err := b.round(ucvmInitrd, classicInitrd, disk, fetched)
		if err != nil {
			return err
		}
		rounds = append(rounds, res)
	}
	b.report(rounds, ucvmInitrd, classicInitrd, disk)
	return nil
}

// round boots (a) on a new, empty scratch disk, (b) on the same disk and
// (c) the classic image.
func (b *bench) round(ucvmInitrd, classicInitrd, disk string, fetched func() int64) ([]result, error) {
	scratch := b.path("scratch." + b.scratchFormat)
	os.Remove(scratch)
	if err := run("qemu-img", "create", "-q", "-f", b.scratchFormat, scratch, "20G"); err != nil {
		return nil, err
	}
	type bootCase struct {
		name, initrd, disk, format string
		more                       []qemu.Drive
		params                     string
	}
	cases := []bootCase{
		{"(a) ucvm, cold cache", ucvmInitrd, scratch, b.scratchFormat, nil, b.params},
		{"(b) ucvm, warm cache", ucvmInitrd, scratch, b.scratchFormat, nil, b.params},
	}
	for _, v := range b.variants {
		cases = append(cases, bootCase{"(b) warm, " + v[0], ucvmInitrd, scratch, b.scratchFormat, nil, b.params + " " + v[1]})
	}
	if b.nopack {
		scratch2 := b.path("scratch-nopack." + b.scratchFormat)
		os.Remove(scratch2)
		if err := run("qemu-img", "create", "-q", "-f", b.scratchFormat, scratch2, "20G"); err != nil {
			return nil, err
		}
		defer os.Remove(scratch2)
		cases = append(cases, bootCase{"(a) cold, without the boot pack", ucvmInitrd, scratch2, b.scratchFormat, nil, b.params + " ucvm.bootpack=off"})
	}
	cases = append(cases, bootCase{"(c) classic ext4 disk", classicInitrd, disk, "raw", nil, ""})
	if b.classicNet {
		netInitrd, err := b.classicNetInitrd()
		if err != nil {
			return nil, err
		}
		cases = append(cases, bootCase{classicNetName, netInitrd, disk, "raw", nil, ""})
	}
	if b.overlay {
		ovl, err := b.overlayInitrd()
		if err != nil {
			return nil, err
		}
		upper := b.path("upper.img")
		if err := run("mke2fs", "-q", "-F", "-t", "ext4", upper, "1G"); err != nil {
			return nil, err
		}
		more := []qemu.Drive{{File: upper, Format: "raw"}}
		cases = append(cases, bootCase{"(d) classic under an overlay, new upper layer", ovl, disk, "raw", more, ""},
			bootCase{"(e) classic under an overlay, same upper again", ovl, disk, "raw", more, ""})
	}
	var res []result
	for _, c := range cases {
		// The previous boot's writes must not be written back while this
		// one runs (the cold boot writes its cache).
		syscall.Sync()
		time.Sleep(time.Second)
		before := fetched()
		r, err := b.boot(c.name, c.initrd, c.disk, c.format, c.params, c.more...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		r.fetched = fetched() - before
		res = append(res, r)
	}
	return res, nil
}
