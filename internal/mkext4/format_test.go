package mkext4

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/testutil"
)

// formatImage formats a sparse image file of size bytes.
func formatImage(t testing.TB, size int64, o Options) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fs.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if err := Format(f, size, o); err != nil {
		t.Fatal(err)
	}
	return p
}

// fsck runs e2fsck -fn, the oracle: it must find nothing.
func fsck(t testing.TB, img string) {
	t.Helper()
	e2fsck := testutil.RequireCommand(t, "e2fsck")
	out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput()
	if err != nil {
		t.Fatalf("e2fsck -fn %s: %v\n%s", img, err, out)
	}
}

func dumpe2fs(t testing.TB, img string) string {
	t.Helper()
	d := testutil.RequireCommand(t, "dumpe2fs")
	out, err := exec.Command(d, "-h", img).CombinedOutput()
	if err != nil {
		t.Fatalf("dumpe2fs: %v\n%s", err, out)
	}
	return string(out)
}

func TestFormatSizes(t *testing.T) {
	sizes := map[string]int64{
		"16MiB": 16 << 20, "64MiB": 64 << 20, "1GiB": 1 << 30, "odd-1GiB+77MiB+12KiB": 1<<30 + 77<<20 + 12<<10 + 5,
		"odd-tiny-last-group": 3<<27 + 300<<12, "20GiB": 20 << 30, "1TiB": 1 << 40,
	}
	for name, size := range sizes {
		t.Run(name, func(t *testing.T) {
			img := formatImage(t, size, Options{Label: "UROOT"})
			fsck(t, img)
			h := dumpe2fs(t, img)
			for _, want := range []string{"has_journal ext_attr dir_index filetype extent 64bit flex_bg sparse_super large_file huge_file dir_nlink extra_isize metadata_csum",
				"volume name:   UROOT", "Filesystem state:         clean", "Inode size:	          256", "Checksum type:            crc32c"} {
				if !strings.Contains(h, want) {
					t.Errorf("dumpe2fs -h lacks %q:\n%s", want, h)
				}
			}
		})
	}
}

// TestResize2fsOffline: Debian's resize2fs grows a file system written by
// Format (no resize_inode: it moves what it must), so images with
// e2fsprogs keep working on disks formatted without them.
func TestResize2fsOffline(t *testing.T) {
	resize2fs := testutil.RequireCommand(t, "resize2fs")
	img := formatImage(t, 1<<30, Options{Label: "UROOT"})
	if err := os.Truncate(img, 200<<30); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(resize2fs, img).CombinedOutput(); err != nil {
		t.Fatalf("resize2fs: %v\n%s", err, out)
	}
	fsck(t, img)
	if h := dumpe2fs(t, img); !strings.Contains(h, "Block count:              52428800") {
		t.Fatalf("not grown:\n%s", h)
	}
}
