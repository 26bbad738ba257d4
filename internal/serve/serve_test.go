package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/testutil"
)

const objHex = "e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78"

// mkStorage builds a small storage directory for repository fqrn.
func mkStorage(t *testing.T, fqrn string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "storage")
	files := map[string]string{
		".cvmfspublished":       "Cabc\nN" + fqrn + "\n--\nsig",
		".cvmfswhitelist":       "whitelist",
		".cvmfs_master_replica": "replicable",
		"data/e8/" + objHex[2:]: "\x78\x9c\x03\x00\x00\x00\x00\x01",
		"data/txn/partial":      "temp",
		"meta.json":             "{}",
	}
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Symlink("data/e8/"+objHex[2:], filepath.Join(dir, ".cvmfsalt-"+objHex))
	os.Symlink("../../../../../../etc/passwd", filepath.Join(dir, "escape"))
	return dir
}

// start runs the server on a free loopback port and returns its base URL
// ("http://127.0.0.1:port") and a stop function that checks Run's result.
func start(t *testing.T, storage ...string) (string, *bytes.Buffer, func()) {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	ctx, cancel := context.WithCancel(context.Background())
	var logBuf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logBuf, mu: &mu}, nil))
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Listen: "127.0.0.1:0", Storage: storage, ReadyFile: ready, Log: logger, Out: io.Discard})
	}()
	deadline := time.Now().Add(10 * time.Second)
	var urls []byte
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(ready); err == nil {
			urls = b
			break
		}
		select {
		case err := <-done:
			t.Fatalf("server exited early: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if urls == nil {
		t.Fatal("server not ready within 10 s")
	}
	first := strings.SplitN(string(urls), "\n", 2)[0]
	base := first[:strings.Index(first, "/cvmfs/")]
	stop := func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("server did not shut down within 15 s")
		}
	}
	return base, &logBuf, stop
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func get(t *testing.T, method, url string, hdr map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestHeadersPerPathClass(t *testing.T) {
	base, logs, stop := start(t, mkStorage(t, "demo.local"))
	defer stop()
	repo := base + "/cvmfs/demo.local/"
	cases := []struct {
		path, ctype, cc, body string
	}{
		{".cvmfspublished", "application/x-cvmfs", "max-age=61", "Cabc\nNdemo.local\n--\nsig"},
		{".cvmfswhitelist", "application/x-cvmfs", "max-age=61", "whitelist"},
		{".cvmfs_master_replica", "application/x-cvmfs", "max-age=61", "replicable"},
		{".cvmfsalt-" + objHex, "application/x-cvmfs", "max-age=61", "\x78\x9c\x03\x00\x00\x00\x00\x01"},
		{"data/e8/" + objHex[2:], "application/octet-stream", "max-age=259200", "\x78\x9c\x03\x00\x00\x00\x00\x01"},
		{"meta.json", "application/json", "max-age=61", "{}"},
	}
	for _, c := range cases {
		for _, method := range []string{"GET", "HEAD"} {
			resp, body := get(t, method, repo+c.path, map[string]string{"If-Modified-Since": "Mon, 01 Jan 2035 00:00:00 GMT"})
			h := resp.Header
			if resp.StatusCode != 200 || h.Get("Content-Type") != c.ctype || h.Get("Cache-Control") != c.cc {
				t.Errorf("%s %s: %d %q %q", method, c.path, resp.StatusCode, h.Get("Content-Type"), h.Get("Cache-Control"))
			}
			if h.Get("Last-Modified") != "" || h.Get("ETag") != "" {
				t.Errorf("%s: Last-Modified/ETag present: %v", c.path, h)
			}
			exp, err := http.ParseTime(h.Get("Expires"))
			want := 61 * time.Second
			if c.cc != "max-age=61" {
				want = 72 * time.Hour
			}
			if err != nil || exp.Sub(time.Now()) > want+2*time.Second || exp.Sub(time.Now()) < want-5*time.Second {
				t.Errorf("%s: Expires %q", c.path, h.Get("Expires"))
			}
			if h.Get("Content-Length") != fmt.Sprint(len(c.body)) {
				t.Errorf("%s %s: Content-Length %q", method, c.path, h.Get("Content-Length"))
			}
			if method == "GET" && string(body) != c.body {
				t.Errorf("%s: body %q", c.path, body)
			}
			if method == "HEAD" && len(body) != 0 {
				t.Errorf("HEAD %s returned a body", c.path)
			}
		}
	}
	resp, body := get(t, "GET", repo+"data/e8/"+objHex[2:], map[string]string{"Range": "bytes=2-3"})
	if resp.StatusCode != 206 || string(body) != "\x03\x00" {
		t.Errorf("range: %d %q", resp.StatusCode, body)
	}
	resp, body = get(t, "GET", base+"/cvmfs/info/v1/repositories.json", nil)
	var info struct {
		Schema       int
		Repositories []struct{ Name, URL string }
	}
	if err := json.Unmarshal(body, &info); err != nil || resp.Header.Get("Cache-Control") != "max-age=61" ||
		len(info.Repositories) != 1 || info.Repositories[0].URL != "/cvmfs/demo.local" || info.Schema != 1 {
		t.Errorf("repositories.json: %s %v %v", body, err, resp.Header)
	}
	if resp, _ := get(t, "POST", repo+".cvmfspublished", nil); resp.StatusCode != 405 {
		t.Errorf("POST: %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "path=/cvmfs/demo.local/.cvmfspublished status=200") {
		t.Errorf("access log lacks request lines:\n%.500s", logs.String())
	}
}

// rawGet sends a request line verbatim (no client-side path cleaning).
func rawGet(t *testing.T, base, target string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", target)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("%s: %v", target, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestNotFoundAndTraversal(t *testing.T) {
	base, _, stop := start(t, mkStorage(t, "demo.local"))
	defer stop()
	for _, target := range []string{
		"/cvmfs/demo.local/", "/cvmfs/demo.local/data", "/cvmfs/demo.local/data/", "/cvmfs/demo.local/data/e8/",
		"/cvmfs/demo.local/data/e8/0000", "/cvmfs/other.local/.cvmfspublished", "/cvmfs/", "/", "/etc/passwd",
		"/cvmfs/demo.local/../demo.local/.cvmfspublished", "/cvmfs/demo.local/data/../.cvmfspublished",
		"/cvmfs/demo.local/%2e%2e/%2e%2e/etc/passwd", "/cvmfs/demo.local//.cvmfspublished",
		"/cvmfs/demo.local/./.cvmfspublished", "/cvmfs/demo.local/escape", "/cvmfs/demo.local/..%5c..%5cetc%5cpasswd",
		"/cvmfs/info/v1/", "/cvmfs/info/v1/../../demo.local/.cvmfspublished",
	} {
		if code := rawGet(t, base, target); code != 404 && code != 400 {
			t.Errorf("%s: status %d, want 404", target, code)
		}
	}
	if code := rawGet(t, base, "/cvmfs/demo.local/.cvmfspublished"); code != 200 {
		t.Fatalf("control request: %d", code)
	}
}

// TestConcurrentClients: 32 keep-alive clients x 50 requests, bounded by a
// 60 s context.
func TestConcurrentClients(t *testing.T) {
	dir := mkStorage(t, "load.local")
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	os.WriteFile(filepath.Join(dir, "data/e8/big"), big, 0o644)
	base, _, stop := start(t, dir)
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	tr := &http.Transport{MaxIdleConnsPerHost: 32}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for w := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				path, want := "/.cvmfspublished", []byte("Cabc\nNload.local\n--\nsig")
				if (w+i)%5 == 0 {
					path, want = "/data/e8/big", big
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", base+"/cvmfs/load.local"+path, nil)
				resp, err := client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				body, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || !bytes.Equal(body, want) {
					errs <- fmt.Errorf("worker %d req %d: %d %v (%d bytes)", w, i, resp.StatusCode, err, len(body))
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestServeRealFixture(t *testing.T) {
	fixture := filepath.Join(testutil.RepoRoot(), "..", "shared", "fixtures", "cvmfs", "test.repo.local")
	if _, err := os.Stat(filepath.Join(fixture, ".cvmfspublished")); err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	// Serve it under another directory name: the fqrn must come from the manifest.
	link := filepath.Join(t.TempDir(), "whatever")
	if err := os.Symlink(fixture, link); err != nil {
		t.Fatal(err)
	}
	base, _, stop := start(t, link, mkStorage(t, "second.local"))
	defer stop()
	files := []string{".cvmfspublished", ".cvmfswhitelist", ".cvmfsreflog",
		"data/03/11d4e31fe5ff526cd2e0131268d447260d80a5H", "data/33/3600a63c242a5ad92a7b86973a2a96c8eb4a65C",
		"data/07/e7cede0668cce803116cadedab00da27a851e7P"}
	for _, rel := range files {
		want, err := os.ReadFile(filepath.Join(fixture, rel))
		if err != nil {
			t.Fatal(err)
		}
		resp, body := get(t, "GET", base+"/cvmfs/test.repo.local/"+rel, nil)
		if resp.StatusCode != 200 || !bytes.Equal(body, want) {
			t.Errorf("%s: status %d, %d bytes (want %d)", rel, resp.StatusCode, len(body), len(want))
		}
	}
	_, body := get(t, "GET", base+"/cvmfs/info/v1/repositories.json", nil)
	if !strings.Contains(string(body), `"name":"second.local"`) || !strings.Contains(string(body), `"name":"test.repo.local"`) {
		t.Errorf("repositories.json: %s", body)
	}
}

func TestDiscoverErrors(t *testing.T) {
	if _, err := Discover(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Fatal("missing dir accepted")
	}
	dir := filepath.Join(t.TempDir(), "plain.local")
	os.Mkdir(dir, 0o755)
	r, err := Discover(dir)
	if err != nil || r.FQRN != "plain.local" {
		t.Fatalf("fallback to dir name: %+v %v", r, err)
	}
	if _, err := NewHandler([]Repo{r, r}, nil); err == nil {
		t.Fatal("duplicate repository accepted")
	}
	err = Run(context.Background(), Config{Listen: "127.0.0.1:0"})
	if err == nil {
		t.Fatal("Run without storage succeeded")
	}
}
