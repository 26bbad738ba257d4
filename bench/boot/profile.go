package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ucvm/ucvm/internal/boot"
	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/reader"
)

// makeBootPack (with -profile) gives the demo OS a boot pack
// (/.ucvm_bootpack): one cold boot without a pack, the boot layer its
// shutdown wrote read off its scratch disk (as `ucvm bootpack --layer`
// does), packed from the published revision, and a publish of the tree
// with the pack under the same tag, as an OS maintainer would ship it.
// The measured cold boots use it.
func (b *bench) makeBootPack(initrd string) error {
	if !b.profile {
		return nil
	}
	scratch := b.path("profile-scratch.raw")
	defer os.Remove(scratch)
	if err := b.profilingBoot(initrd, scratch); err != nil {
		return err
	}
	paths, err := layerProfile(scratch, b.path("profile-mnt"))
	if err != nil {
		return err
	}
	r, err := b.openRepo()
	if err != nil {
		return err
	}
	defer r.Close()
	out := filepath.Join(b.work, "osroot", "os", bootpack.FileName)
	f, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	st, err := bootpack.Build(context.Background(), r, "/os", paths, f, nil)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(out+".tmp", out)
	}
	if err != nil {
		return fmt.Errorf("boot pack: %w", err)
	}
	fmt.Printf("  boot pack: %d files (%.1f MB), %d symlinks, %d whole directories, %d whiteouts, %d catalogs carried (%.1f MB) -> %s (%.1f MB); publishing\n",
		st.Files, float64(st.Bytes)/1e6, st.Symlinks, st.Opaque, st.Whiteouts, st.Carried, float64(st.CarriedBytes)/1e6, out, float64(size(out))/1e6)
	_, err = publish.Publish(context.Background(), publish.Options{FQRN: b.fqrn, Storage: filepath.Join(b.work, "storage"),
		Keys: filepath.Join(b.work, "keys"), Source: filepath.Join(b.work, "osroot"), Tag: b.tag, Workers: 2})
	return err
}

// profilingBoot boots once with an empty scratch disk and without the
// boot pack; its shutdown writes the boot layer.
func (b *bench) profilingBoot(initrd, scratch string) error {
	stop, _, err := b.serve(io.Discard)
	if err != nil {
		return err
	}
	defer stop()
	if err := run("qemu-img", "create", "-q", "-f", "raw", scratch, "20G"); err != nil {
		return err
	}
	_, err = b.boot("(0) profiling boot, cold cache, no boot pack", initrd, scratch, "raw", "ucvm.bootpack=off")
	return err
}

// layerProfile reads the profile off the boot layer on the scratch disk
// image, mounted read-only at mnt.
func layerProfile(scratch, mnt string) ([]string, error) {
	unmount, layer, err := boot.MountScratchImage(scratch, mnt, "os")
	if err != nil {
		return nil, err
	}
	defer unmount()
	if layer == "" {
		return nil, fmt.Errorf("no boot layer on the profiling boot's scratch disk %s", scratch)
	}
	return bootpack.ProfileFromLayer(layer)
}

// openRepo opens the newest revision of the demo repository's tag.
func (b *bench) openRepo() (*reader.Repo, error) {
	masters, err := keys.LoadPublic(filepath.Join(b.work, "keys", b.fqrn+".pub"))
	if err != nil {
		return nil, err
	}
	cache, err := reader.NewDirCache(b.path("profile-cache"))
	if err != nil {
		return nil, err
	}
	return reader.Open(context.Background(), reader.Options{FQRN: b.fqrn, Source: reader.DirSource{Dir: filepath.Join(b.work, "storage")},
		Cache: cache, MasterKeys: masters, Tag: b.tag})
}
