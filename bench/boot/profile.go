package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/pinlist"
	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/reader"
)

// makeBootPack (with -profile) gives the demo OS a boot pack
// (/.ucvm_bootpack): one cold boot without a pack against a server that
// logs its accesses, the files that boot downloaded (as `ucvm bootpack
// --access-log` finds them) packed from the published revision, and a
// publish of the tree with the pack under the same tag, as an OS
// maintainer would ship it. The measured cold boots unpack it.
func (b *bench) makeBootPack(initrd string) error {
	if !b.profile {
		return nil
	}
	logPath := b.path("profile-access.log")
	if err := b.profilingBoot(initrd, logPath); err != nil {
		return err
	}
	paths, r, err := b.bootPaths(logPath)
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
	fmt.Printf("  boot pack: %d files (%.1f MB), %d symlinks -> %s (%.1f MB); publishing\n",
		st.Files, float64(st.Bytes)/1e6, st.Symlinks, out, float64(size(out))/1e6)
	_, err = publish.Publish(context.Background(), publish.Options{FQRN: b.fqrn, Storage: filepath.Join(b.work, "storage"),
		Keys: filepath.Join(b.work, "keys"), Source: filepath.Join(b.work, "osroot"), Tag: b.tag, Workers: 2})
	return err
}

// profilingBoot boots once with an empty scratch disk while the server logs
// every access to logPath.
func (b *bench) profilingBoot(initrd, logPath string) error {
	logf, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer logf.Close()
	stop, _, err := b.serve(logf)
	if err != nil {
		return err
	}
	defer stop()
	scratch := b.path("profile-scratch.qcow2")
	if err := run("qemu-img", "create", "-q", "-f", "qcow2", scratch, "20G"); err != nil {
		return err
	}
	defer os.Remove(scratch)
	_, err = b.boot("(0) profiling boot, cold cache, no boot pack", initrd, scratch, "qcow2", "ucvm.bootpack=off")
	return err
}

// bootPaths lists the files the profiling boot downloaded (from its
// access log), read from the newest revision, which it returns open.
func (b *bench) bootPaths(logPath string) ([]string, *reader.Repo, error) {
	lf, err := os.Open(logPath)
	if err != nil {
		return nil, nil, err
	}
	defer lf.Close()
	fetched, err := pinlist.FetchedObjects(lf)
	if err != nil {
		return nil, nil, err
	}
	masters, err := keys.LoadPublic(filepath.Join(b.work, "keys", b.fqrn+".pub"))
	if err != nil {
		return nil, nil, err
	}
	cache, err := reader.NewDirCache(b.path("profile-cache"))
	if err != nil {
		return nil, nil, err
	}
	r, err := reader.Open(context.Background(), reader.Options{FQRN: b.fqrn, Source: reader.DirSource{Dir: filepath.Join(b.work, "storage")},
		Cache: cache, MasterKeys: masters, Tag: b.tag})
	if err != nil {
		return nil, nil, err
	}
	paths, err := pinlist.Build(context.Background(), r, "/os", fetched)
	if err != nil {
		r.Close()
		return nil, nil, err
	}
	return paths, r, nil
}
