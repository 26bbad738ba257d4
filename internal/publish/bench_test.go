package publish_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/repo"
)

// BenchmarkPublishSmallFiles publishes 5,000 small files (full publish per
// iteration into a fresh repository); reports files/s.
func BenchmarkPublishSmallFiles(b *testing.B) {
	src := b.TempDir()
	const files = 5000
	for i := 0; i < files; i++ {
		d := filepath.Join(src, fmt.Sprintf("d%02d", i%50))
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, fmt.Sprintf("f%05d", i)), []byte(fmt.Sprintf("content of file %d %0200d", i, i)), 0o644)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d := b.TempDir()
		if _, _, err := repo.Create("bench.ucvm.local", filepath.Join(d, "s"), filepath.Join(d, "k"), time.Now()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		if _, err := publish.Publish(context.Background(), publish.Options{FQRN: "bench.ucvm.local", Storage: filepath.Join(d, "s"), Keys: filepath.Join(d, "k"), Source: src}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(files/time.Since(start).Seconds(), "files/s")
	}
}
