package fusefs_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/reader"
)

// TestBootPack: a pack built from revision 1 and published with revision
// 2 is unpacked as revision 2's boot layer: members that still match are
// copied with the mount's attributes (a chunked file and a symlink
// included), the file revision 2 changed is left to the mount, and the
// layer over the mount is exactly the mount. The pack is stored
// uncompressed.
func TestBootPack(t *testing.T) {
	p := newPubRepo(t)
	p.write("os/bin/tool", "#!/bin/sh\necho tool\n")
	mustNo(t, os.Chmod(filepath.Join(p.src, "os/bin/tool"), 0o755))
	p.write("os/etc/conf", "key=value\n")
	p.write("os/etc/changes", "revision 1\n")
	p.write("os/etc/unlisted", "not in the pack\n")
	big := make([]byte, 9<<20) // above the chunking threshold
	rand.New(rand.NewSource(1)).Read(big)
	p.write("os/usr/lib/libx.so.1.2", string(big))
	mustNo(t, os.Symlink("libx.so.1.2", filepath.Join(p.src, "os/usr/lib/libx.so.1")))
	old := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	mustNo(t, os.Chtimes(filepath.Join(p.src, "os/etc/conf"), old, old))
	p.publish("", 0)

	r := openStorage(t, p)
	var buf bytes.Buffer
	list := []string{"bin/tool", "etc/conf", "etc/changes", "usr/lib/libx.so.1.2", "etc/gone"}
	st, err := bootpack.Build(context.Background(), r, "/os", list, &buf, nil)
	mustNo(t, err)
	if st.Files != 4 || st.Symlinks != 1 || len(st.Skipped) != 1 {
		t.Fatalf("build %+v", st)
	}
	p.write("os/"+bootpack.FileName, buf.String())
	p.write("os/etc/changes", "revision 2, changed\n")
	p.publish("", 0)
	if n, err := openStorage(t, p).Lookup(context.Background(), "/os/"+bootpack.FileName); err != nil || n.Compressed() {
		t.Fatalf("pack in the catalog: compressed %v, %v", n != nil && n.Compressed(), err)
	}

	srv := newRepoServer(t, pubFQRN, p.storage)
	e := newEnv(t, pubFQRN, p.key(), t.TempDir(), 0, srv.repoURL(pubFQRN))
	layers := filepath.Join(t.TempDir(), "bootlayer")
	e.cfg.BootLayerDir = layers
	mnt, m := e.mount(t)
	if _, err := m.Command("bootpack /os/nothing"); !errors.Is(err, fusefs.ErrNoBootPack) {
		t.Fatalf("missing pack: %v", err)
	}
	out, err := m.Command("bootpack /os/" + bootpack.FileName)
	mustNo(t, err)
	if !strings.Contains(out, "files 3\n") || !strings.Contains(out, "symlinks 1\n") || !strings.Contains(out, "skipped 1\n") {
		t.Fatalf("answer %q", out)
	}
	lower := filepath.Join(layers, m.FS.Info().RootHash.String(), "os")
	for _, f := range []string{"etc/changes", "etc/unlisted"} {
		if _, err := os.Lstat(filepath.Join(lower, f)); !os.IsNotExist(err) {
			t.Fatalf("%s is in the layer: %v", f, err)
		}
	}
	if got := readFile(t, filepath.Join(lower, "usr/lib/libx.so.1.2")); !bytes.Equal(got, big) {
		t.Fatal("chunked file differs in the layer")
	}
	union := t.TempDir()
	mustNo(t, unix.Mount("overlay", union, "overlay", unix.MS_RDONLY, "lowerdir="+lower+":"+filepath.Join(mnt, "os")))
	defer unix.Unmount(union, unix.MNT_DETACH)
	if got, want := listing(t, union), listing(t, filepath.Join(mnt, "os")); got != want {
		t.Fatalf("overlay of layer and mount:\n%s\nmount:\n%s", got, want)
	}
	if got := string(readFile(t, filepath.Join(union, "etc/changes"))); got != "revision 2, changed\n" {
		t.Fatalf("etc/changes through the overlay: %q", got)
	}
	mustNo(t, unix.Unmount(union, 0))
	if out, err := m.Command("bootpack /os/" + bootpack.FileName); err != nil || !strings.HasPrefix(out, "exists") {
		t.Fatalf("second bootpack: %q %v", out, err)
	}
}

// TestBootPackCorrupt: a pack object whose bytes do not match its hash is
// never unpacked, and no layer is left behind.
func TestBootPackCorrupt(t *testing.T) {
	p := newPubRepo(t)
	p.write("os/etc/conf", "key=value\n")
	p.publish("", 0)
	var buf bytes.Buffer
	_, err := bootpack.Build(context.Background(), openStorage(t, p), "/os", []string{"etc/conf"}, &buf, nil)
	mustNo(t, err)
	p.write("os/"+bootpack.FileName, buf.String())
	p.publish("", 0)
	n, err := openStorage(t, p).Lookup(context.Background(), "/os/"+bootpack.FileName)
	mustNo(t, err)
	obj := filepath.Join(p.storage, n.Hash.ObjectPath(hash.SuffixNone))
	b, err := os.ReadFile(obj)
	mustNo(t, err)
	b[len(b)-1] ^= 0xff
	mustNo(t, os.WriteFile(obj, b, 0o644))

	srv := newRepoServer(t, pubFQRN, p.storage)
	e := newEnv(t, pubFQRN, p.key(), t.TempDir(), 0, srv.repoURL(pubFQRN))
	layers := filepath.Join(t.TempDir(), "bootlayer")
	e.cfg.BootLayerDir = layers
	_, m := e.mount(t)
	if _, err := m.Command("bootpack /os/" + bootpack.FileName); err == nil || !strings.Contains(err.Error(), "hash") {
		t.Fatalf("corrupt pack: %v", err)
	}
	if ents, _ := os.ReadDir(layers); len(ents) != 0 {
		t.Fatalf("%d entries left in the layer directory", len(ents))
	}
}

// openStorage opens the newest revision of p's storage directly.
func openStorage(t *testing.T, p *pubRepo) *reader.Repo {
	t.Helper()
	masters, err := keys.LoadPublic(p.key())
	mustNo(t, err)
	c, err := reader.NewDirCache(t.TempDir())
	mustNo(t, err)
	r, err := reader.Open(context.Background(), reader.Options{FQRN: pubFQRN, Source: reader.DirSource{Dir: p.storage}, Cache: c, MasterKeys: masters})
	mustNo(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}

// TestBootPackAllStale: a pack none of whose members matches the revision
// writes no layer, and the mount still records one (an empty layer would
// stop that for good).
func TestBootPackAllStale(t *testing.T) {
	p := newPubRepo(t)
	p.write("os/etc/conf", "revision 1\n")
	p.publish("", 0)
	var buf bytes.Buffer
	_, err := bootpack.Build(context.Background(), openStorage(t, p), "/os", []string{"etc/conf"}, &buf, nil)
	mustNo(t, err)
	p.write("os/"+bootpack.FileName, buf.String())
	p.write("os/etc/conf", "revision 2, changed\n")
	p.publish("", 0)

	srv := newRepoServer(t, pubFQRN, p.storage)
	e := newEnv(t, pubFQRN, p.key(), t.TempDir(), 0, srv.repoURL(pubFQRN))
	layers := filepath.Join(t.TempDir(), "bootlayer")
	e.cfg.BootLayerDir = layers
	mnt, m := e.mount(t)
	if _, err := m.Command("bootpack /os/" + bootpack.FileName); !errors.Is(err, fusefs.ErrPackStale) {
		t.Fatalf("stale pack: %v", err)
	}
	if ents, _ := os.ReadDir(layers); len(ents) != 0 {
		t.Fatalf("%d entries left in the layer directory", len(ents))
	}
	readFile(t, filepath.Join(mnt, "os/etc/conf"))
	if out, err := m.Command("bootlayer"); err != nil || !strings.Contains(out, "files 1\n") {
		t.Fatalf("recorded layer after a stale pack: %q %v", out, err)
	}
}
