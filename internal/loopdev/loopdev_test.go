package loopdev

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/testutil"
)

// TestMountOffsetNodes: a file system 1 MiB into a file, mounted read-only
// with the device nodes made in a directory of our own (as the client does
// after the hand-over); the device releases itself at the unmount.
func TestMountOffsetNodes(t *testing.T) {
	testutil.RequireRoot(t)
	testutil.RequireCommand(t, "mke2fs")
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	os.WriteFile(filepath.Join(src, "hello"), []byte("hello\n"), 0o644)
	img := filepath.Join(dir, "disk.img")
	if out, err := exec.Command("mke2fs", "-q", "-F", "-t", "ext4", "-E", "offset=1048576", "-d", src, img, "8M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v %s", err, out)
	}
	mnt, nodes := filepath.Join(dir, "mnt"), filepath.Join(dir, "dev")
	os.Mkdir(mnt, 0o755)
	if err := Mount(img, mnt, "ext4", Options{Offset: 1 << 20, Nodes: nodes}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(mnt, "hello"))
	if err != nil || string(b) != "hello\n" {
		t.Fatalf("hello: %q %v", b, err)
	}
	if err := os.WriteFile(filepath.Join(mnt, "new"), nil, 0o644); err == nil {
		t.Error("the mount is writable")
	}
	if _, err := os.Stat(filepath.Join(nodes, "loop-control")); err != nil {
		t.Errorf("no loop-control in %s: %v", nodes, err)
	}
	if err := unix.Unmount(mnt, 0); err != nil {
		t.Fatal(err)
	}
	if err := Mount(filepath.Join(dir, "missing"), mnt, "ext4", Options{Nodes: nodes}); err == nil {
		t.Error("a missing file was mounted")
	}
}
