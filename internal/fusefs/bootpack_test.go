package fusefs_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand"
	"os"
	"os/exec"
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
	"github.com/ucvm/ucvm/internal/testutil"
)

// TestBootPack: a pack built from revision 1 and published with revision
// 2 becomes revision 2's boot layer: its image, which mounted over the
// mount lists exactly like the mount (a chunked file, a symlink, set-id
// bits, owners and nanosecond times included). The pack is stored
// uncompressed.
func TestBootPack(t *testing.T) {
	p := newPubRepo(t)
	p.write("os/bin/tool", "#!/bin/sh\necho tool\n")
	mustNo(t, os.Chmod(filepath.Join(p.src, "os/bin/tool"), 0o4755))
	mustNo(t, os.Chown(filepath.Join(p.src, "os/bin/tool"), 12, 34))
	p.write("os/etc/conf", "key=value\n")
	p.write("os/etc/unlisted", "not in the pack\n")
	big := make([]byte, 9<<20) // above the chunking threshold
	rand.New(rand.NewSource(1)).Read(big)
	p.write("os/usr/lib/libx.so.1.2", string(big))
	mustNo(t, os.Symlink("libx.so.1.2", filepath.Join(p.src, "os/usr/lib/libx.so.1")))
	old := time.Date(2020, 1, 2, 3, 4, 5, 6789, time.UTC)
	mustNo(t, os.Chtimes(filepath.Join(p.src, "os/etc/conf"), old, old))
	p.publish("", 0)

	r := openStorage(t, p)
	var buf bytes.Buffer
	list := []string{"bin/tool", "etc/conf", "usr/lib/libx.so.1.2", "etc/gone"}
	st, err := bootpack.Build(context.Background(), r, "/os", list, &buf, nil)
	mustNo(t, err)
	if st.Files != 3 || st.Symlinks != 1 || len(st.Skipped) != 1 {
		t.Fatalf("build %+v", st)
	}
	p.write("os/"+bootpack.FileName, buf.String())
	p.publish("", 0)
	if n, err := openStorage(t, p).Lookup(context.Background(), "/os/"+bootpack.FileName); err != nil || n.Compressed() {
		t.Fatalf("pack in the catalog: compressed %v, %v", n != nil && n.Compressed(), err)
	}

	mnt, m, layers := mountWithLayers(t, p)
	if _, err := m.Command("bootpack /os/nothing"); !errors.Is(err, fusefs.ErrNoBootPack) {
		t.Fatalf("missing pack: %v", err)
	}
	out, err := m.Command("bootpack /os/" + bootpack.FileName)
	mustNo(t, err)
	if !strings.Contains(out, "files 3\n") || !strings.Contains(out, "symlinks 1\n") || !strings.Contains(out, "image "+bootpack.ImageName+"\n") {
		t.Fatalf("answer %q", out)
	}
	layer := filepath.Join(layers, m.FS.Info().RootHash.String())
	lower := filepath.Join(layer, "os")
	if ents, err := os.ReadDir(lower); err != nil || len(ents) != 0 {
		t.Fatalf("mount point %s: %d entries, %v", lower, len(ents), err)
	}
	testutil.RequireFilesystem(t, bootpack.ImageType)
	if o, err := exec.Command("mount", "-o", "loop,ro", "-t", "erofs", filepath.Join(layer, bootpack.ImageName), lower).CombinedOutput(); err != nil {
		t.Fatalf("mount the image: %v %s", err, o)
	}
	defer exec.Command("umount", lower).Run()
	if got := readFile(t, filepath.Join(lower, "usr/lib/libx.so.1.2")); !bytes.Equal(got, big) {
		t.Fatal("chunked file differs in the image")
	}
	if _, err := os.Lstat(filepath.Join(lower, "etc/unlisted")); !os.IsNotExist(err) {
		t.Fatalf("etc/unlisted is in the image: %v", err)
	}
	union := t.TempDir()
	mustNo(t, unix.Mount("overlay", union, "overlay", unix.MS_RDONLY, "lowerdir="+lower+":"+filepath.Join(mnt, "os")))
	defer unix.Unmount(union, unix.MNT_DETACH)
	if got, want := listing(t, union), listing(t, filepath.Join(mnt, "os")); got != want {
		t.Fatalf("overlay of image and mount:\n%s\nmount:\n%s", got, want)
	}
	mustNo(t, unix.Unmount(union, 0))
	if out, err := m.Command("bootpack /os/" + bootpack.FileName); err != nil || !strings.HasPrefix(out, "exists") {
		t.Fatalf("second bootpack: %q %v", out, err)
	}
}

// TestBootPackCorrupt: a pack object whose bytes do not match its digest
// is never unpacked, and no layer is left behind.
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

	_, m, layers := mountWithLayers(t, p)
	// verified by its piece digests, not by SHA-1
	if _, err := m.Command("bootpack /os/" + bootpack.FileName); err == nil || !strings.Contains(err.Error(), "BLAKE3") {
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

// TestBootPackStale: a pack of which one entry differs from the revision
// is not used at all and writes no layer; the error names the entry, and
// the mount still records a layer.
func TestBootPackStale(t *testing.T) {
	p := newPubRepo(t)
	p.write("os/etc/conf", "revision 1\n")
	p.write("os/etc/same", "unchanged\n")
	p.publish("", 0)
	var buf bytes.Buffer
	_, err := bootpack.Build(context.Background(), openStorage(t, p), "/os", []string{"etc/conf", "etc/same"}, &buf, nil)
	mustNo(t, err)
	p.write("os/"+bootpack.FileName, buf.String())
	p.write("os/etc/conf", "revision 2, changed\n")
	p.publish("", 0)

	mnt, m, layers := mountWithLayers(t, p)
	if _, err := m.Command("bootpack /os/" + bootpack.FileName); !errors.Is(err, fusefs.ErrPackStale) || !strings.Contains(err.Error(), "/os/etc/conf") {
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

// mountWithLayers serves p's storage and mounts its newest revision with
// a boot layer directory; it returns the mount point, the mount and that
// directory.
func mountWithLayers(t *testing.T, p *pubRepo) (string, *fusefs.Mounted, string) {
	t.Helper()
	srv := newRepoServer(t, pubFQRN, p.storage)
	e := newEnv(t, pubFQRN, p.key(), t.TempDir(), 0, srv.repoURL(pubFQRN))
	e.cfg.BootLayerDir = filepath.Join(t.TempDir(), "bootlayer")
	mnt, m := e.mount(t)
	return mnt, m, e.cfg.BootLayerDir
}

// TestBootPackChunks: a boot pack is stored in fixed pieces of 2 MiB,
// so that a client verifies and writes its image a piece at a time.
func TestBootPackChunks(t *testing.T) {
	p := newPubRepo(t)
	big := make([]byte, 9<<20)
	rand.New(rand.NewSource(2)).Read(big)
	p.write("os/usr/lib/libbig.so", string(big))
	p.publish("", 0)
	var buf bytes.Buffer
	_, err := bootpack.Build(context.Background(), openStorage(t, p), "/os", []string{"usr/lib/libbig.so"}, &buf, nil)
	mustNo(t, err)
	p.write("os/"+bootpack.FileName, buf.String())
	p.publish("", 0)
	r := openStorage(t, p)
	n, err := r.Lookup(context.Background(), "/os/"+bootpack.FileName)
	mustNo(t, err)
	chunks, err := r.Chunks(context.Background(), n)
	mustNo(t, err)
	if len(chunks) < 4 || chunks[0].Size != 2<<20 || chunks[len(chunks)-2].Size != 2<<20 {
		t.Fatalf("%d chunks, first %d bytes", len(chunks), chunks[0].Size)
	}
	checkPieceDigests(t, r, n, buf.Bytes(), len(chunks))
	_, m, _ := mountWithLayers(t, p)
	out, err := m.Command("bootpack /os/" + bootpack.FileName)
	mustNo(t, err)
	if !strings.Contains(out, "files 1\n") {
		t.Fatalf("answer %q", out)
	}
}

// TestBootPackVouched: a pack names the catalogs its entries came from.
// Entries of a nested catalog that the new revision mounts unchanged are
// taken without reading that catalog (a file, an opaque directory and a
// whiteout below /os/usr/lib); a change inside that catalog still makes
// the pack stale, named by the entry, and so does a uid map that shows
// the unchanged catalog's owners as others.
func TestBootPackVouched(t *testing.T) {
	for _, tc := range []struct{ name, change, uidMap string }{
		{"unchanged", "os/var/other", ""},
		{"changed", "os/usr/lib/libx.so", ""},
		{"uidmap", "os/var/other", "0 1000\n"},
	} {
		change := tc.change
		t.Run(tc.name, func(t *testing.T) {
			p := newPubRepo(t)
			p.write("os/.cvmfscatalog", "")
			p.write("os/usr/lib/.cvmfscatalog", "")
			p.write("os/usr/lib/libx.so", "library\n")
			p.write("os/usr/lib/sub/a", "a\n")
			p.write("os/etc/conf", "key=value\n")
			p.publish("", 0)
			var buf bytes.Buffer
			list := []string{"etc/conf", "usr/lib/libx.so", "usr/lib/sub/", "!usr/lib/none"}
			_, err := bootpack.Build(context.Background(), openStorage(t, p), "/os", list, &buf, nil)
			mustNo(t, err)
			m0, err := bootpack.ReadHeader(bytes.NewReader(buf.Bytes()))
			mustNo(t, err)
			// the root catalog holds the row of /os, the pack's root
			if len(m0.Catalogs) != 3 || m0.Catalogs[0].Mount != "" || m0.Catalogs[1].Mount != "/os" || m0.Catalogs[2].Mount != "/os/usr/lib" {
				t.Fatalf("catalogs of the pack: %+v", m0.Catalogs)
			}
			// it carries the catalog below its own, /os/usr/lib
			if len(m0.Carried) != 1 || m0.Carried[0].Mount != "/os/usr/lib" || m0.Carried[0].Hash != m0.Catalogs[2].Hash {
				t.Fatalf("carried catalogs: %+v", m0.Carried)
			}
			p.write("os/"+bootpack.FileName, buf.String())
			p.write(change, "changed\n")
			p.publish("", 0)
			// the server loses it: the mount has it from the pack
			lib := m0.Carried[0].Hash
			mustNo(t, os.Remove(filepath.Join(p.storage, "data", lib[:2], lib[2:]+"C")))

			srv := newRepoServer(t, pubFQRN, p.storage)
			e := newEnv(t, pubFQRN, p.key(), t.TempDir(), 0, srv.repoURL(pubFQRN))
			e.cfg.BootLayerDir = filepath.Join(t.TempDir(), "bootlayer")
			if tc.uidMap != "" {
				uids, err := fusefs.ParseIDMap(tc.uidMap)
				mustNo(t, err)
				e.cfg.UIDMap = uids
			}
			mnt, m := e.mount(t)
			out, err := m.Command("bootpack /os/" + bootpack.FileName)
			if tc.uidMap != "" {
				// etc, etc/conf, usr, usr/lib (rows of the changed /os catalog)
				// and libx.so, sub, sub/a of the unchanged one; not the root,
				// not the whiteout (no owner)
				if !errors.Is(err, fusefs.ErrPackStale) || !strings.Contains(err.Error(), "7 of 9 entries differ") {
					t.Fatalf("owners mapped: %v", err)
				}
				return
			}
			if change == "os/usr/lib/libx.so" {
				if !errors.Is(err, fusefs.ErrPackStale) || !strings.Contains(err.Error(), "/os/usr/lib/libx.so") {
					t.Fatalf("changed entry in a nested catalog: %v", err)
				}
				return
			}
			mustNo(t, err)
			// libx.so, sub, sub/a and the whiteout none; /os/usr/lib itself
			// is a row of the changed /os catalog.
			if !strings.Contains(out, "vouched 4\n") || !strings.Contains(out, "seeded 1\n") {
				t.Fatalf("answer %q", out)
			}
			if b, err := os.ReadFile(filepath.Join(mnt, "os/usr/lib/sub/a")); err != nil || string(b) != "a\n" {
				t.Fatalf("a file of the carried catalog: %q, %v", b, err)
			}
		})
	}
}

// checkPieceDigests: the catalog has the BLAKE3 digest of each piece of
// the pack n (content pack); StreamChecked hands out only pieces its
// check passed, and wants the number of pieces the file has.
func checkPieceDigests(t *testing.T, r *reader.Repo, n *reader.Node, pack []byte, pieces int) {
	t.Helper()
	ctx := context.Background()
	x, err := r.Xattrs(ctx, n)
	mustNo(t, err)
	digests, err := bootpack.Digests(x)
	mustNo(t, err)
	if len(digests) != pieces {
		t.Fatalf("%d digests for %d pieces", len(digests), pieces)
	}
	for i, d := range digests {
		piece := pack[i*bootpack.PieceSize : min(len(pack), (i+1)*bootpack.PieceSize)]
		if !bytes.Equal(d, bootpack.PieceDigest(piece)) {
			t.Fatalf("piece %d: digest %x", i, d)
		}
	}
	var got []byte
	collect := func(b []byte) error { got = append(got, b...); return nil }
	mustNo(t, r.StreamChecked(ctx, n, pieces, bootpack.CheckPieces(digests), collect))
	if !bytes.Equal(got, pack) {
		t.Fatal("checked stream differs from the pack")
	}
	got = nil
	failSecond := func(i int, b []byte) error {
		if i == 1 {
			return errors.New("piece 1 refused")
		}
		return nil
	}
	if err := r.StreamChecked(ctx, n, pieces, failSecond, collect); !errors.Is(err, reader.ErrBadData) || len(got) != bootpack.PieceSize {
		t.Fatalf("refused piece: %v, %d bytes handed out", err, len(got))
	}
	if err := r.StreamChecked(ctx, n, pieces+1, failSecond, collect); !errors.Is(err, reader.ErrPieceCount) {
		t.Fatalf("piece count: %v", err)
	}
}
