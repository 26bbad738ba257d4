package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/pinlist"
	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/reader"
)

// makePinList (with -profile) gives the demo OS a pin list
// (/.ucernvm_pinfiles): one cold boot against a server that logs its
// accesses, the list of the files that boot downloaded (as `ucvm pinlist`
// builds it), and a publish of the tree with the list under the same tag.
// The measured boots then pin that core file set, as the original µCernVM
// OS repositories ship one. (Measured: on one emulated CPU the pinning
// competes with the boot; see docs/benchmarks.md.)
func (b *bench) makePinList(initrd string) error {
	if !b.profile {
		return nil
	}
	list := filepath.Join(b.work, "osroot", "os", ".ucernvm_pinfiles")
	logPath := b.path("profile-access.log")
	if err := b.profilingBoot(initrd, logPath); err != nil {
		return err
	}
	paths, err := b.pinPaths(logPath)
	if err != nil {
		return err
	}
	body := fmt.Sprintf("# core file set: %d files downloaded by a profiling boot (bench/boot)\n%s\n", len(paths), strings.Join(paths, "\n"))
	if err := os.WriteFile(list+".tmp", []byte(body), 0o644); err != nil {
		return err
	}
	if err := os.Rename(list+".tmp", list); err != nil {
		return err
	}
	fmt.Printf("  pin list: %d files -> %s; publishing\n", len(paths), list)
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
	_, err = b.boot("(0) profiling boot, cold cache", initrd, scratch, "qcow2", "")
	return err
}

// pinPaths builds the pin list from the access log of the profiling boot.
func (b *bench) pinPaths(logPath string) ([]string, error) {
	lf, err := os.Open(logPath)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	fetched, err := pinlist.FetchedObjects(lf)
	if err != nil {
		return nil, err
	}
	masters, err := keys.LoadPublic(filepath.Join(b.work, "keys", b.fqrn+".pub"))
	if err != nil {
		return nil, err
	}
	cacheDir, err := os.MkdirTemp("", "ucvm-bench-pin-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(cacheDir)
	cache, err := reader.NewDirCache(cacheDir)
	if err != nil {
		return nil, err
	}
	r, err := reader.Open(context.Background(), reader.Options{FQRN: b.fqrn, Source: reader.DirSource{Dir: filepath.Join(b.work, "storage")},
		Cache: cache, MasterKeys: masters, Tag: b.tag})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return pinlist.Build(context.Background(), r, "/os", fetched)
}
