package fusefs_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/fusefs"
)

// TestBootLayer: what a boot read is written as a local layer with the
// repository's attributes; stacked above the mount by overlayfs, it shows
// exactly the tree the mount shows; a mount of a revision that has its
// layer records nothing.
func TestBootLayer(t *testing.T) {
	p := newPubRepo(t)
	p.write("os/bin/tool", "#!/bin/sh\necho tool\n") // 0755 (the mount has no set-id bits)
	p.write("os/etc/conf", "key=value\n")
	p.write("os/etc/unread", "never read\n")
	p.write("os/usr/lib/libx.so", strings.Repeat("x", 300_000))
	p.write("os/usr/share/a", "linked\n")
	mustNo(t, os.Chmod(filepath.Join(p.src, "os/bin/tool"), 0o755))
	mustNo(t, os.Symlink("usr/lib", filepath.Join(p.src, "os/lib")))
	mustNo(t, os.Link(filepath.Join(p.src, "os/usr/share/a"), filepath.Join(p.src, "os/usr/share/b")))
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	mustNo(t, os.Chtimes(filepath.Join(p.src, "os/etc/conf"), old, old))
	p.publish("", 0)
	mnt, m, layers := mountWithLayers(t, p)

	for _, f := range []string{"os/bin/tool", "os/etc/conf", "os/lib/libx.so", "os/usr/share/a"} {
		readFile(t, filepath.Join(mnt, f))
	}
	if _, err := os.Stat(filepath.Join(mnt, "os/etc/missing")); !os.IsNotExist(err) {
		t.Fatalf("missing file: %v", err)
	}
	out, err := m.Command("bootlayer")
	if err != nil {
		t.Fatal(err)
	}
	var info fusefs.BootLayerInfo
	b, err := os.ReadFile(filepath.Join(layers, m.FS.Info().RootHash.String()+".json"))
	mustNo(t, err)
	mustNo(t, json.Unmarshal(b, &info))
	// tool, conf, libx.so; the lib symlink; a whiteout for etc/missing;
	// the hard-linked usr/share/a is left to the mount
	if info.Files != 3 || info.Symlinks != 1 || info.Whiteouts != 1 || info.Skipped != 1 {
		t.Fatalf("layer %+v (answer %q)", info, out)
	}
	lower := filepath.Join(info.Dir, "os")
	if _, err := os.Lstat(filepath.Join(lower, "etc/unread")); !os.IsNotExist(err) {
		t.Fatalf("a file the boot did not read is in the layer: %v", err)
	}
	var st unix.Stat_t
	mustNo(t, unix.Lstat(filepath.Join(lower, "etc/missing"), &st))
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Fatalf("etc/missing is not a whiteout: mode %o rdev %d", st.Mode, st.Rdev)
	}

	// The layer over the mount is the mount (a read-only overlay).
	union := t.TempDir()
	mustNo(t, unix.Mount("overlay", union, "overlay", unix.MS_RDONLY, "lowerdir="+lower+":"+filepath.Join(mnt, "os")))
	defer unix.Unmount(union, unix.MNT_DETACH)
	if got, want := listing(t, union), listing(t, filepath.Join(mnt, "os")); got != want {
		t.Fatalf("overlay of layer and mount:\n%s\nmount:\n%s", got, want)
	}
	mustNo(t, unix.Unmount(union, 0))

	if out, err := m.Command("bootlayer"); err != nil || !strings.HasPrefix(out, "exists") {
		t.Fatalf("second bootlayer: %q %v", out, err)
	}
}

// TestBootLayerOff: without a directory configured the command says how
// to enable it.
func TestBootLayerOff(t *testing.T) {
	m := mountOneFile(t, "")
	if _, err := m.Command("bootlayer"); err == nil || !strings.Contains(err.Error(), "UCVM_BOOT_LAYER") {
		t.Fatalf("bootlayer without a directory: %v", err)
	}
}

// TestBootLayerNothingRecorded: a mount that read nothing writes no
// (empty) layer, which would stop later boots from recording one.
func TestBootLayerNothingRecorded(t *testing.T) {
	layers := filepath.Join(t.TempDir(), "bootlayer")
	m := mountOneFile(t, layers)
	if _, err := m.Command("bootlayer"); !errors.Is(err, fusefs.ErrNothingRecorded) {
		t.Fatalf("bootlayer after no reads: %v", err)
	}
	if ents, _ := os.ReadDir(layers); len(ents) != 0 {
		t.Fatalf("%d entries in the layer directory", len(ents))
	}
}

// mountOneFile mounts a repository of one file, with boot layers in
// layers ("" none).
func mountOneFile(t *testing.T, layers string) *fusefs.Mounted {
	p := newPubRepo(t)
	p.write("f", "x")
	p.publish("", 0)
	srv := newRepoServer(t, pubFQRN, p.storage)
	e := newEnv(t, pubFQRN, p.key(), t.TempDir(), 0, srv.repoURL(pubFQRN))
	e.cfg.BootLayerDir = layers
	_, m := e.mount(t)
	return m
}

func mustNo(t *testing.T, err error) {
	t.Helper()
	if err != nil && err != syscall.Errno(0) {
		t.Fatal(err)
	}
}
