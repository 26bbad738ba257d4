package serve

import (
	"crypto/sha1"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkServeObject: GET of 4 KiB data objects over one keep-alive
// connection, access log written to a file (as `ucvm serve` writes stderr).
//
//	go test ./internal/serve -run XXX -bench ServeObject -benchtime 20000x
func BenchmarkServeObject(b *testing.B) {
	dir := b.TempDir()
	var paths []string
	body := make([]byte, 4096)
	for i := 0; i < 1000; i++ {
		h := fmt.Sprintf("%x", sha1.Sum([]byte(fmt.Sprint(i))))
		p := filepath.Join(dir, "data", h[:2], h[2:])
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, body, 0o644); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, "/cvmfs/bench.local/data/"+h[:2]+"/"+h[2:])
	}
	logf, err := os.Create(filepath.Join(b.TempDir(), "access.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer logf.Close()
	h, err := NewHandler([]Repo{{FQRN: "bench.local", Dir: dir}}, slog.New(slog.NewTextHandler(logf, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	srv := httptest.NewServer(h)
	defer srv.Close()
	client := srv.Client()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		resp, err := client.Get(srv.URL + paths[i%len(paths)])
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("%v %d", err, resp.StatusCode)
		}
		resp.Body.Close()
	}
}
