package main

import (
	"fmt"
	"os"

	"github.com/ucvm/ucvm/internal/boot"
	"github.com/ucvm/ucvm/internal/bootpack"
)

// packName is the boot pack's name in the OS tree.
const packName = bootpack.FileName

// bootPack, after a cold boot of an OS tree without a usable boot pack
// (none, an older format, or one the bootloader refused as stale), does
// what an OS maintainer would: packs what that boot used (the boot layer
// its shutdown wrote on the scratch disk, or else the files the server's
// access log shows it downloaded) and publishes the tree again with the
// pack, so that later cold boots (-fresh, bench/boot) mount its image
// instead of fetching file by file (docs/bootloader.md "Boot pack").
func (d *demo) bootPack() error {
	out := d.path("osroot", "os", packName)
	if !d.res.cold || exists(out) && packUsable(out) && !d.res.packStale {
		return nil
	}
	what := "boot pack for later cold boots (from this boot's layer)"
	if d.res.packStale {
		what = "boot pack made again (the bootloader found it no longer matches the tree)"
	}
	say(what)
	from := []string{"--access-log", d.serveLog}
	unmount, layer, err := boot.MountScratchImage(d.path("scratch.img"), d.path("scratch-mnt"), "os")
	if err == nil {
		defer unmount()
		if layer != "" {
			from = []string{"--layer", layer}
		}
	}
	args := append([]string{"bootpack", d.fqrn, "--storage", d.path("storage"), "--key", d.path("keys", d.fqrn+".pub"),
		"--tag", d.tag, "--under", "os", "--out", out}, from...)
	if err := d.run(d.o.ucvm, args...); err != nil {
		os.Remove(out)
		return fmt.Errorf("boot pack: %w", err)
	}
	return d.publish()
}

// packUsable reports whether the pack at p is of the format this ucvm
// reads (a pack of an older ucvm is made again).
func packUsable(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	_, err = bootpack.ReadHeader(f)
	return err == nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
