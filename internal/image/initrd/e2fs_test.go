package initrd

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/u-root/u-root/pkg/cpio"

	"github.com/ucvm/ucvm/internal/testutil"
)

// TestE2fsprogsClosureRuns extracts the e2fsprogs files the initrd would
// carry into an empty directory and runs mke2fs there under chroot: the
// library closure is complete when it formats an image file.
func TestE2fsprogsClosureRuns(t *testing.T) {
	testutil.RequireRoot(t)
	if _, err := os.Stat("/sbin/mke2fs"); err != nil {
		testutil.RequireCommand(t, "mke2fs")
	}
	a := NewArchive()
	if err := a.addE2fsprogs(); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	for _, name := range a.Names() {
		e := a.entries[name]
		p := filepath.Join(root, name)
		if e.isDir {
			os.MkdirAll(p, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(p), 0o755)
		if e.mode&cpio.S_IFMT == cpio.S_IFLNK {
			if err := os.Symlink(string(e.data), p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.WriteFile(p, e.data, os.FileMode(e.mode&0o777)); err != nil {
			t.Fatal(err)
		}
	}
	img := filepath.Join(root, "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Truncate(img, 64<<20)
	out, err := exec.Command("chroot", root, "/sbin/mke2fs", "-q", "-F", "-t", "ext4", "-L", "UROOT", "/disk.img").CombinedOutput()
	if err != nil {
		t.Fatalf("mke2fs in a chroot of the initrd files: %v: %s", err, out)
	}
	out, err = exec.Command("chroot", root, "/sbin/e2fsck", "-fn", "/disk.img").CombinedOutput()
	if err != nil {
		t.Fatalf("e2fsck: %v: %s", err, out)
	}
}
