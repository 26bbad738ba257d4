package mkext4

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkFormat20GiB formats a fresh sparse 20 GiB file with Format
// and, as the baseline in the same run, with Debian's mke2fs as the
// bootloader calls it (benchFormat).
func BenchmarkFormat20GiB(b *testing.B) { benchFormat(b, 20<<30) }

// BenchmarkFormat1TiB is the same for a sparse 1 TiB file.
func BenchmarkFormat1TiB(b *testing.B) { benchFormat(b, 1<<40) }

// benchFormat formats fresh sparse files of size bytes alternately with
// Format and with
//
//	mke2fs -q -F -t ext4 -j -L UROOT -E lazy_itable_init=1,lazy_journal_init=1 <file>
//
// Reported: ms/mkext4, ms/mke2fs and mkext4/mke2fs (time ratio).
func benchFormat(b *testing.B, size int64) {
	mke2fs, err := exec.LookPath("mke2fs")
	if err != nil {
		b.Skip("no mke2fs")
	}
	dir := b.TempDir()
	fresh := func(name string) string {
		p := filepath.Join(dir, name)
		os.Remove(p)
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			b.Fatal(err)
		}
		if err := os.Truncate(p, size); err != nil {
			b.Fatal(err)
		}
		return p
	}
	var tGo, tC time.Duration
	for b.Loop() {
		p := fresh("go.img")
		start := time.Now()
		f, err := os.OpenFile(p, os.O_RDWR, 0)
		if err != nil {
			b.Fatal(err)
		}
		if err := Format(f, size, Options{Label: "UROOT"}); err != nil {
			b.Fatal(err)
		}
		f.Close()
		tGo += time.Since(start)

		p = fresh("c.img")
		start = time.Now()
		if out, err := exec.Command(mke2fs, "-q", "-F", "-t", "ext4", "-j", "-L", "UROOT",
			"-E", "lazy_itable_init=1,lazy_journal_init=1", p).CombinedOutput(); err != nil {
			b.Fatalf("mke2fs: %v %s", err, out)
		}
		tC += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tGo.Milliseconds())/n, "ms/mkext4")
	b.ReportMetric(float64(tC.Milliseconds())/n, "ms/mke2fs")
	b.ReportMetric(float64(tGo)/float64(tC), "mkext4/mke2fs")
}
