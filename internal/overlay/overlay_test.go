package overlay

import (
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/testutil"
)

// TestMarks: whiteouts and opaque marks written here are read back, also
// by a real overlayfs mount (the whiteout hides the lower file, the
// opaque directory hides the lower directory's other entries); other
// devices and files are not whiteouts.
func TestMarks(t *testing.T) {
	testutil.RequireRoot(t)
	dir := t.TempDir()
	lower, upper := filepath.Join(dir, "lower"), filepath.Join(dir, "upper")
	for _, d := range []string{"lower/d", "upper/d", "lower/e", "upper/e", "mnt"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	for _, f := range []string{"lower/gone", "lower/d/hidden", "lower/e/kept", "upper/plain"} {
		os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644)
	}
	wo := filepath.Join(upper, "gone")
	if err := MakeWhiteout(wo); err != nil {
		t.Fatal(err)
	}
	if err := MarkOpaque(filepath.Join(upper, "d")); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Lstat(wo)
	plain, _ := os.Lstat(filepath.Join(upper, "plain"))
	if !IsWhiteout(wo, fi) || IsWhiteout(filepath.Join(upper, "plain"), plain) {
		t.Fatal("whiteout not told from a file")
	}
	if null, err := os.Lstat("/dev/null"); err == nil && IsWhiteout("/dev/null", null) {
		t.Fatal("/dev/null is a whiteout")
	}
	if !IsOpaque(filepath.Join(upper, "d")) || IsOpaque(filepath.Join(upper, "e")) {
		t.Fatal("opaque mark")
	}
	mnt := filepath.Join(dir, "mnt")
	if err := unix.Mount("overlay", mnt, "overlay", unix.MS_RDONLY, "lowerdir="+upper+":"+lower); err != nil {
		t.Skipf("no overlayfs here: %v", err)
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	for f, want := range map[string]bool{"gone": false, "d/hidden": false, "e/kept": true, "plain": true} {
		if _, err := os.Stat(filepath.Join(mnt, f)); (err == nil) != want {
			t.Errorf("%s in the union: %v, want present=%v", f, err, want)
		}
	}
	unix.Unmount(mnt, 0)
	if err := ClearOpaque(filepath.Join(upper, "d")); err != nil || IsOpaque(filepath.Join(upper, "d")) {
		t.Fatalf("clear opaque: %v", err)
	}
}
