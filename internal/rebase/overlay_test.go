package rebase

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/overlay"
	"github.com/ucvm/ucvm/internal/testutil"
)

func mountOverlay(t *testing.T, lower, upper, work, mnt string) func() {
	t.Helper()
	opts := "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work
	if err := unix.Mount("overlay", mnt, "overlay", 0, opts); err != nil {
		if testutil.InCI() {
			t.Fatalf("mount overlayfs: %v", err)
		}
		t.Skipf("overlayfs not available: %v", err)
	}
	done := false
	umount := func() {
		if !done {
			done = true
			if err := unix.Unmount(mnt, 0); err != nil {
				t.Errorf("umount %s: %v", mnt, err)
			}
		}
	}
	t.Cleanup(umount)
	return umount
}

// TestThroughOverlay makes local changes through a real overlayfs mount of
// the old OS, rebases the upper dir onto the new OS and checks the result
// through a new overlayfs mount, as the OS sees it after the update.
func TestThroughOverlay(t *testing.T) {
	testutil.RequireRoot(t)
	d := t.TempDir()
	dir := func(n string) string {
		p := filepath.Join(d, n)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	old, nw, upper, work, mnt, aux := dir("old"), dir("new"), dir("persistent"), dir("work"), dir("mnt"), dir("aux")
	base := map[string]string{
		"etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "etc/group": "root:x:0:\n",
		"etc/hostname": "os", "usr/bin/tool": "tool v1", "usr/lib/libgone.so": "lib v1",
		"usr/share/doc/a": "a v1", "usr/share/doc/b": "b v1",
	}
	put(t, old, base)
	base["usr/bin/tool"], base["usr/lib/libgone.so"], base["usr/share/doc/a"] = "tool v2", "lib v2", "a v2"
	base["etc/passwd"] += "messagebus:x:100:101::/:/bin/false\n"
	base["etc/group"] += "messagebus:x:101:\n"
	put(t, nw, base)

	umount := mountOverlay(t, old, upper, work, mnt)
	m := func(p string) string { return filepath.Join(mnt, p) }
	put(t, mnt, map[string]string{"etc/hostname": "mine", "usr/bin/tool": "tool patched", "home/alice/data": "data"})
	f, err := os.OpenFile(m("etc/passwd"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("alice:x:100:100::/home/alice:/bin/sh\n") // uid 100 clashes with the new messagebus
	f.Close()
	if err := os.Remove(m("usr/lib/libgone.so")); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(m("usr/share/doc")); err != nil {
		t.Fatal(err)
	}
	put(t, mnt, map[string]string{"usr/share/doc/mine": "my doc"})
	umount()
	if fi := present(t, filepath.Join(upper, "usr/lib/libgone.so")); fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("overlayfs did not leave a whiteout: %v", fi.Mode())
	}
	if !overlay.IsOpaque(filepath.Join(upper, "usr/share/doc")) {
		t.Fatal("overlayfs did not leave an opaque directory")
	}

	res, err := Run(Options{Upper: upper, Lower: nw, Aux: aux, Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(work)
	mountOverlay(t, nw, upper, dir("work"), mnt)
	for p, want := range map[string]string{
		"etc/hostname": "mine", "usr/bin/tool": "tool v2", "usr/lib/libgone.so": "lib v2",
		"usr/share/doc/a": "a v2", "usr/share/doc/b": "b v1", "usr/share/doc/mine": "my doc", "home/alice/data": "data",
	} {
		if got := read(t, m(p)); got != want {
			t.Errorf("%s through the overlay = %q, want %q", p, got, want)
		}
	}
	pw := read(t, m("etc/passwd"))
	contains(t, "merged passwd", pw, "alice:x:100:100:")
	contains(t, "merged passwd", pw, "messagebus:x:101:101:") // next free uid above 100
	if strings.Count(pw, "\n") != 3 {
		t.Errorf("passwd:\n%s", pw)
	}
	if got := read(t, res.UIDMap); got != "100 101\n" {
		t.Errorf("uid map %q, want %q", got, "100 101\n")
	}
	if res.UIDMap != filepath.Join(aux, "uid_map") || res.GIDMap != filepath.Join(aux, "gid_map") {
		t.Errorf("map paths %s %s", res.UIDMap, res.GIDMap)
	}
	present(t, filepath.Join(aux, "passwd.backup.20261123T010203Z"))
	contains(t, "account log", read(t, res.AccountLog), "user messagebus: new, uid 100 is local user alice, gets uid 101")
}
