package fusefs_test

import (
	"bytes"
	"context"
	"crypto/rsa"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/cache"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/fetch"
	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/testutil"
	"github.com/ucvm/ucvm/internal/tree"
)

const fixtureFQRN = "test.repo.local"

// repoServer serves a repository directory as /cvmfs/<fqrn>/ with hooks to
// tamper with, truncate or stall objects, or to drop every connection.
type repoServer struct {
	*httptest.Server
	dir      string
	down     atomic.Bool
	tamper   atomic.Value // object path (data/..) to corrupt
	truncate atomic.Value
	stall    atomic.Value
	requests atomic.Int64
}

func newRepoServer(t *testing.T, fqrn, dir string) *repoServer {
	s := &repoServer{dir: dir}
	for _, v := range []*atomic.Value{&s.tamper, &s.truncate, &s.stall} {
		v.Store("")
	}
	prefix := "/cvmfs/" + fqrn + "/"
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if s.down.Load() {
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
					return
				}
			}
		}
		rel, ok := strings.CutPrefix(r.URL.Path, prefix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		// caching headers of a CernVM-FS server: objects are immutable
		if strings.HasPrefix(rel, "data/") {
			w.Header().Set("Cache-Control", "max-age=259200")
		} else {
			w.Header().Set("Cache-Control", "max-age=61")
		}
		switch rel {
		case s.tamper.Load():
			data = append([]byte(nil), data...)
			data[len(data)/2] ^= 0x55
		case s.truncate.Load():
			data = data[:len(data)/2]
		case s.stall.Load():
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(30 * time.Second):
			}
			return
		}
		w.Write(data)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *repoServer) repoURL(fqrn string) string { return s.URL + "/cvmfs/" + fqrn }

// deadURL is a loopback address nobody listens on.
func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/cvmfs/x"
}

// env is one client: fetcher, cache, keys.
type env struct {
	fqrn    string
	fetcher *fetch.Fetcher
	cache   *cache.Cache
	masters []*rsa.PublicKey
	cfg     fusefs.Config
	tag     string
}

func newEnv(t *testing.T, fqrn, keyFile, cacheDir string, quota int64, hosts ...string) *env {
	return newEnvProxies(t, fqrn, keyFile, cacheDir, quota, nil, hosts...)
}

func newEnvProxies(t *testing.T, fqrn, keyFile, cacheDir string, quota int64, proxies [][]string, hosts ...string) *env {
	t.Helper()
	testutil.RequireFUSE(t)
	fc := fetch.DefaultConfig()
	fc.Hosts, fc.Proxies = hosts, proxies
	fc.Timeout, fc.TimeoutDirect = time.Second, time.Second
	fc.MaxRetries, fc.BackoffInit, fc.BackoffMax = 0, 10*time.Millisecond, 50*time.Millisecond
	fe, err := fetch.New(fc)
	if err != nil {
		t.Fatal(err)
	}
	masters, err := keys.LoadPublic(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := cache.Open(cacheDir, cache.Options{QuotaBytes: quota})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &env{fqrn: fqrn, fetcher: fe, cache: c, masters: masters,
		cfg: fusefs.Config{FQRN: fqrn, OpTimeout: 15 * time.Second, Network: fe, Cache: c, AutoUpdate: true}}
}

// mount mounts the repository and returns the mount point; unmounted at cleanup.
func (e *env) mount(t *testing.T) (string, *fusefs.Mounted) {
	t.Helper()
	mnt := t.TempDir()
	m, err := e.tryMount(mnt)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { m.Wait(); close(done) }()
	t.Cleanup(func() { unmountWait(t, m, done) })
	return mnt, m
}

func unmountWait(t *testing.T, m *fusefs.Mounted, done chan struct{}) {
	select {
	case <-done:
		return
	default:
	}
	if err := m.Unmount(); err != nil {
		t.Error(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Error("server did not stop after unmount")
	}
}

func (e *env) tryMount(mnt string) (*fusefs.Mounted, error) {
	cfg := e.cfg
	cfg.Fixed = e.tag != ""
	open := fusefs.ReaderOpener(reader.Options{FQRN: e.fqrn, Source: reader.FetchSource{F: e.fetcher},
		Cache: e.cache, MasterKeys: e.masters, Tag: e.tag})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return fusefs.Mount(ctx, fusefs.MountConfig{Config: cfg, Mountpoint: mnt, Open: open})
}

// listing returns the canonical listing of a mounted tree.
func listing(t *testing.T, mnt string) string {
	t.Helper()
	lines, err := tree.FromDir(mnt)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	tree.Write(&b, lines)
	return b.String()
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
