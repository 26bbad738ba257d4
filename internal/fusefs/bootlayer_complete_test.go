package fusefs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/overlay"
	"github.com/ucvm/ucvm/internal/testutil"
)

// TestBootLayerComplete: a directory the boot listed is written whole
// and marked opaque when its subtree is small; a large one is not; a
// small file the boot only looked up is in the layer. Stacked over the
// mount, the layer shows exactly the mount, and lookups and listings in
// the complete directory no longer reach the mount.
func TestBootLayerComplete(t *testing.T) {
	p := newPubRepo(t)
	p.write("os/etc/conf", "key=value\n")
	p.write("os/etc/unread", "never read\n")
	p.write("os/etc/sub/deep", "below a complete directory\n")
	mustNo(t, os.Symlink("conf", filepath.Join(p.src, "os/etc/link")))
	p.write("os/big/huge", strings.Repeat("h", 2<<20)) // above completeMaxBytes
	p.write("os/big/small", "s\n")
	p.write("os/usr/stat-only", "looked up, not read\n")
	p.publish("", 0)
	mnt, m, layers := mountWithLayers(t, p)

	readFile(t, filepath.Join(mnt, "os/etc/conf"))
	for _, d := range []string{"os/etc", "os/big"} {
		if _, err := os.ReadDir(filepath.Join(mnt, d)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(mnt, "os/usr/stat-only")); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Command("bootlayer"); err != nil {
		t.Fatal(err)
	}
	info := layerInfo(t, layers, m)
	lower := filepath.Join(info.Dir, "os")
	if info.Opaque != 1 || !overlay.IsOpaque(filepath.Join(lower, "etc")) || overlay.IsOpaque(filepath.Join(lower, "big")) {
		t.Fatalf("opaque directories: %+v", info)
	}
	for _, f := range []string{"etc/unread", "etc/sub/deep", "etc/link", "usr/stat-only"} {
		if _, err := os.Lstat(filepath.Join(lower, f)); err != nil {
			t.Errorf("%s not in the layer: %v", f, err)
		}
	}
	// a listing looks every entry up (READDIRPLUS): the small file is
	// added as found, the large one is not
	if _, err := os.Lstat(filepath.Join(lower, "big/huge")); !os.IsNotExist(err) {
		t.Errorf("big/huge of an incomplete directory is in the layer: %v", err)
	}

	union := overlayOver(t, lower, filepath.Join(mnt, "os"))
	before := m.FS.Stats()
	for i := 0; i < 3; i++ {
		if _, err := os.ReadDir(filepath.Join(union, "etc/sub")); err != nil {
			t.Fatal(err)
		}
		os.Stat(filepath.Join(union, "etc/none"))
	}
	if after := m.FS.Stats(); after.Opendirs != before.Opendirs || after.Lookups != before.Lookups {
		t.Fatalf("the complete directory reached the mount: %+v -> %+v", before, after)
	}
}

// TestBootPackFlatten: at the end of a boot whose layer is a boot pack's
// image, the layer becomes plain files: the image's files, with their
// attributes, plus what the boot read through the mount; the image is
// moved aside for the next boot to delete.
func TestBootPackFlatten(t *testing.T) {
	testutil.RequireFilesystem(t, bootpack.ImageType)
	p := newPubRepo(t)
	p.write("os/bin/tool", "#!/bin/sh\necho tool\n")
	mustNo(t, os.Chmod(filepath.Join(p.src, "os/bin/tool"), 0o750))
	mustNo(t, os.Chown(filepath.Join(p.src, "os/bin/tool"), 12, 34))
	p.write("os/etc/conf", "key=value\n")
	p.write("os/etc/later", "read through the mount\n")
	mustNo(t, os.Symlink("conf", filepath.Join(p.src, "os/etc/link")))
	p.publish("", 0)
	var buf bytes.Buffer
	_, err := bootpack.Build(context.Background(), openStorage(t, p), "/os", []string{"bin/tool", "etc/conf", "etc/link"}, &buf, nil)
	mustNo(t, err)
	p.write("os/"+bootpack.FileName, buf.String())
	p.publish("", 0)

	mnt, m, layers := mountWithLayers(t, p)
	out, err := m.Command("bootpack /os/" + bootpack.FileName)
	mustNo(t, err)
	if !strings.Contains(out, "image "+bootpack.ImageName) {
		t.Fatalf("answer %q", out)
	}
	readFile(t, filepath.Join(mnt, "os/etc/later"))
	out, err = m.Command("bootlayer")
	if err != nil {
		t.Fatal(err)
	}
	info := layerInfo(t, layers, m)
	if info.Image != "" || info.Files != 3 || info.Symlinks != 1 {
		t.Fatalf("layer %+v (answer %q)", info, out)
	}
	if _, err := os.Stat(filepath.Join(info.Dir, bootpack.ImageName)); !os.IsNotExist(err) {
		t.Fatalf("image still in the layer: %v", err)
	}
	if _, err := os.Stat(filepath.Join(layers, ".old-"+info.RootHash, bootpack.ImageName)); err != nil {
		t.Fatalf("the image was not moved aside: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(layers, ".img-*")); len(left) != 0 {
		t.Fatalf("left behind: %v", left)
	}
	lower := filepath.Join(info.Dir, "os")
	var st unix.Stat_t
	mustNo(t, unix.Stat(filepath.Join(lower, "bin/tool"), &st))
	var want unix.Stat_t
	mustNo(t, unix.Stat(filepath.Join(mnt, "os/bin/tool"), &want))
	if st.Mode != want.Mode || st.Uid != 12 || st.Gid != 34 || st.Mtim != want.Mtim {
		t.Fatalf("bin/tool: mode %o owner %d:%d time %v, the mount shows %o %v", st.Mode, st.Uid, st.Gid, st.Mtim, want.Mode, want.Mtim)
	}
	overlayOver(t, lower, filepath.Join(mnt, "os"))
	if out, err := m.Command("bootlayer"); err != nil || !strings.HasPrefix(out, "exists") {
		t.Fatalf("second bootlayer: %q %v", out, err)
	}
}

func layerInfo(t *testing.T, layers string, m *fusefs.Mounted) fusefs.BootLayerInfo {
	t.Helper()
	var info fusefs.BootLayerInfo
	b, err := os.ReadFile(filepath.Join(layers, m.FS.Info().RootHash.String()+".json"))
	mustNo(t, err)
	mustNo(t, json.Unmarshal(b, &info))
	return info
}

// TestBootPackProfile: a pack with a whole directory (opaque) and a
// whiteout is applied; its layer, flattened, keeps both; a revision that
// adds a name to the whole directory makes the pack stale.
func TestBootPackProfile(t *testing.T) {
	testutil.RequireFilesystem(t, bootpack.ImageType)
	p := newPubRepo(t)
	p.write("os/etc/a", "a\n")
	p.write("os/etc/sub/b", "b\n")
	p.write("os/usr/bin/tool", "tool\n")
	p.publish("", 0)
	var buf bytes.Buffer
	st, err := bootpack.Build(context.Background(), openStorage(t, p), "/os", []string{"etc/", "usr/bin/tool", "!usr/bin/none"}, &buf, nil)
	mustNo(t, err)
	if st.Opaque != 1 || st.Whiteouts != 1 {
		t.Fatalf("build %+v", st)
	}
	p.write("os/"+bootpack.FileName, buf.String())
	p.publish("", 0)

	mnt, m, layers := mountWithLayers(t, p)
	out, err := m.Command("bootpack /os/" + bootpack.FileName)
	mustNo(t, err)
	if !strings.Contains(out, "whiteouts 1\n") || !strings.Contains(out, "opaque 1\n") {
		t.Fatalf("answer %q", out)
	}
	if _, err := m.Command("bootlayer"); err != nil {
		t.Fatal(err)
	}
	info := layerInfo(t, layers, m)
	lower := filepath.Join(info.Dir, "os")
	if !overlay.IsOpaque(filepath.Join(lower, "etc")) || info.Whiteouts != 1 {
		t.Fatalf("flattened layer %+v", info)
	}
	overlayOver(t, lower, filepath.Join(mnt, "os"))

	etc, err := os.Stat(filepath.Join(p.src, "os/etc"))
	mustNo(t, err)
	p.write("os/etc/new", "not in the pack\n")
	// the same directory time: only the listing tells the pack is stale
	mustNo(t, os.Chtimes(filepath.Join(p.src, "os/etc"), etc.ModTime(), etc.ModTime()))
	p.publish("", 0)
	_, m2, _ := mountWithLayers(t, p)
	if _, err := m2.Command("bootpack /os/" + bootpack.FileName); !errors.Is(err, fusefs.ErrPackStale) || !strings.Contains(err.Error(), "new is not in the pack") {
		t.Fatalf("pack with an incomplete opaque directory: %v", err)
	}
}

// overlayOver mounts lower over the mount's directory mntDir read-only
// (as the bootloader stacks a boot layer) and requires the union to list
// exactly like mntDir; it returns the union (unmounted at the end).
func overlayOver(t *testing.T, lower, mntDir string) string {
	t.Helper()
	union := t.TempDir()
	mustNo(t, unix.Mount("overlay", union, "overlay", unix.MS_RDONLY, "lowerdir="+lower+":"+mntDir))
	t.Cleanup(func() { unix.Unmount(union, unix.MNT_DETACH) })
	if got, want := listing(t, union), listing(t, mntDir); got != want {
		t.Fatalf("overlay of the layer and the mount:\n%s\nmount:\n%s", got, want)
	}
	return union
}
