package mkext4

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/testutil"
)

// loopMount attaches img to a loop device and mounts it; cleanup undoes
// both. It returns the loop device and the mount point.
func loopMount(t *testing.T, img, opts string) (string, string) {
	t.Helper()
	testutil.RequireRoot(t)
	losetup := testutil.RequireCommand(t, "losetup")
	out, err := exec.Command(losetup, "-f", "--show", img).Output()
	if err != nil {
		t.Skipf("losetup: %v (no loop devices?)", err)
	}
	dev := strings.TrimSpace(string(out))
	t.Cleanup(func() { exec.Command(losetup, "-d", dev).Run() })
	mnt := t.TempDir()
	if err := unix.Mount(dev, mnt, "ext4", 0, opts); err != nil {
		t.Fatalf("mount %s: %v", dev, err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, 0) })
	return dev, mnt
}

// kernelErrors returns the ext4 error lines the kernel logged for dev.
func kernelErrors(t *testing.T, dev string) []string {
	out, err := exec.Command("dmesg").Output()
	if err != nil {
		t.Logf("dmesg: %v", err)
		return nil
	}
	var bad []string
	name := filepath.Base(dev)
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "EXT4-fs") && strings.Contains(l, name+")") &&
			(strings.Contains(l, "error") || strings.Contains(l, "warning") || strings.Contains(l, "corrupt") || strings.Contains(l, "checksum")) {
			bad = append(bad, l)
		}
	}
	return bad
}

// fill writes nd directories of nf files each, a directory big enough for
// an htree, and one 64 MiB file.
func fill(t *testing.T, mnt string, nd, nf int) {
	t.Helper()
	for d := 0; d < nd; d++ {
		dir := filepath.Join(mnt, fmt.Sprintf("dir%03d", d), "sub")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := 0; f < nf; f++ {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("file-with-a-long-name-%05d", f)), bytes.Repeat([]byte{byte(f)}, 100*f), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	big := filepath.Join(mnt, "big")
	if err := os.MkdirAll(big, 0o755); err != nil {
		t.Fatal(err)
	}
	for f := 0; f < 3000; f++ {
		if err := os.WriteFile(filepath.Join(big, fmt.Sprintf("entry-%06d", f)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(mnt, "blob"), bytes.Repeat([]byte("0123456789abcdef"), 4<<20), 0o644); err != nil {
		t.Fatal(err)
	}
}

func unmount(t *testing.T, mnt string) {
	t.Helper()
	if err := unix.Unmount(mnt, 0); err != nil {
		t.Fatalf("umount: %v", err)
	}
}

// TestMountWriteCheck: the kernel mounts the new file system, takes many
// files and directories without logging errors, and e2fsck finds it clean.
func TestMountWriteCheck(t *testing.T) {
	img := formatImage(t, 1<<30+5<<20, Options{Label: "UROOT"})
	dev, mnt := loopMount(t, img, "")
	fill(t, mnt, 40, 50)
	var st unix.Statfs_t
	if err := unix.Statfs(mnt, &st); err != nil {
		t.Fatal(err)
	}
	unmount(t, mnt)
	fsck(t, img)
	if bad := kernelErrors(t, dev); len(bad) > 0 {
		t.Fatalf("kernel logged ext4 errors:\n%s", strings.Join(bad, "\n"))
	}
	sb, err := ReadSuperblockFile(img)
	if err != nil {
		t.Fatal(err)
	}
	if sb.HasErrors() || !sb.ChecksumOK || sb.State&StateValid == 0 {
		t.Fatalf("superblock after use: %+v", sb)
	}
}

// TestGrowOnline: 1 GiB formatted, the image enlarged, the loop device
// told, and the kernel grows the mounted file system (to 5 GiB within the
// descriptor block, to 100 GiB with the meta_bg conversion).
func TestGrowOnline(t *testing.T) {
	testutil.RequireRoot(t)
	if !hasCapSysResource() {
		// EXT4_IOC_RESIZE_FS needs CAP_SYS_RESOURCE, which containers
		// often drop; the bootvm test TestScratchGoFormat grows in a VM.
		t.Skip("no CAP_SYS_RESOURCE for online resize (internal/boot/bootvm TestScratchGoFormat covers it)")
	}
	for _, to := range []int64{5 << 30, 100 << 30} {
		t.Run(fmt.Sprintf("%dGiB", to>>30), func(t *testing.T) {
			img := formatImage(t, 1<<30, Options{Label: "UROOT"})
			dev, mnt := loopMount(t, img, "noinit_itable")
			fill(t, mnt, 4, 20)
			if err := os.Truncate(img, to); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("losetup", "-c", dev).CombinedOutput(); err != nil {
				t.Fatalf("losetup -c: %v %s", err, out)
			}
			old, nb, err := GrowToDevice(mnt, dev)
			if err != nil {
				t.Fatal(err)
			}
			if old != 1<<18 || nb != uint64(to)/blockSize {
				t.Fatalf("grew %d -> %d blocks", old, nb)
			}
			var st unix.Statfs_t
			if err := unix.Statfs(mnt, &st); err != nil {
				t.Fatal(err)
			}
			if got := int64(st.Blocks) * st.Bsize; got < to*9/10 {
				t.Fatalf("df size %d after growing to %d", got, to)
			}
			fill(t, mnt, 2, 10) // still writable
			os.RemoveAll(filepath.Join(mnt, "dir000"))
			unmount(t, mnt)
			fsck(t, img)
			if bad := kernelErrors(t, dev); len(bad) > 0 {
				t.Fatalf("kernel logged ext4 errors:\n%s", strings.Join(bad, "\n"))
			}
			if h := dumpe2fs(t, img); !strings.Contains(h, fmt.Sprintf("Block count:              %d", nb)) {
				t.Fatalf("dumpe2fs after grow:\n%s", h)
			}
		})
	}
}

// hasCapSysResource reports whether this process may resize online.
func hasCapSysResource() bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<unix.CAP_SYS_RESOURCE) != 0
		}
	}
	return false
}

// TestFormatOverGarbage: a device full of old bytes (random here) is
// formatted; neither e2fsck nor the kernel may look at the unwritten inode
// tables, bitmaps and journal blocks.
func TestFormatOverGarbage(t *testing.T) {
	const size = 300 << 20
	p := filepath.Join(t.TempDir(), "old.img")
	junk := make([]byte, size)
	for i := range junk {
		junk[i] = byte(i*7919>>3) ^ byte(i>>13) | 0x11 // dense, nonzero, varied
	}
	if err := os.WriteFile(p, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := Format(f, size, Options{Label: "UROOT"}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fsck(t, p)
	dev, mnt := loopMount(t, p, "noinit_itable")
	fill(t, mnt, 20, 100)
	unmount(t, mnt)
	fsck(t, p)
	if bad := kernelErrors(t, dev); len(bad) > 0 {
		t.Fatalf("kernel logged ext4 errors:\n%s", strings.Join(bad, "\n"))
	}
}
