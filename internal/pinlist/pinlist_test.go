package pinlist

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/repo"
	"github.com/ucvm/ucvm/internal/repotest"
)

const fqrn = "pin.test.local"

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestFromARealAccessLog publishes an OS tree, reads two files through
// `ucvm serve` over HTTP as a boot would, and builds the pin list from the
// server's access log: the files read (and a file with the same content),
// in the order they were first read; nothing else.
func TestFromARealAccessLog(t *testing.T) {
	d := t.TempDir()
	storage, keyDir := filepath.Join(d, "storage"), filepath.Join(d, "keys")
	if _, _, err := repo.Create(fqrn, storage, keyDir, time.Now()); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(d, "src")
	files := map[string]string{"os/bin/a": "unread", "os/bin/b": "bbb", "os/bin/b2": "bbb",
		"os/etc/c": "ccc", "os/etc/empty": "", "other/x": "ccc"}
	for p, c := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(src, p)), 0o755)
		os.WriteFile(filepath.Join(src, p), []byte(c), 0o644)
	}
	if _, err := publish.Publish(context.Background(), publish.Options{FQRN: fqrn, Storage: storage, Keys: keyDir, Source: src, Workers: 2}); err != nil {
		t.Fatal(err)
	}
	log := &syncBuf{}
	http := openHTTP(t, storage, keyDir, log)
	for _, p := range []string{"/os/etc/c", "/os/bin/b"} {
		readAll(t, http, p)
	}
	fetched, err := FetchedObjects(strings.NewReader(log.String()))
	if err != nil {
		t.Fatal(err)
	}
	local := openRepo(t, reader.DirSource{Dir: storage}, keyDir)
	got, err := Build(context.Background(), local, "/os", fetched)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"etc/c", "bin/b", "bin/b2"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("pin list %q, want %q", got, want)
	}
}

func TestNoObjects(t *testing.T) {
	_, err := FetchedObjects(strings.NewReader("level=INFO msg=access path=/cvmfs/x/.cvmfspublished status=200\n"))
	if !errors.Is(err, ErrNoObjects) {
		t.Fatalf("%v", err)
	}
}

func TestObjectOf(t *testing.T) {
	h := "0123456789abcdef0123456789abcdef01234567"
	for p, want := range map[string]string{
		"/cvmfs/r/data/01/23456789abcdef0123456789abcdef01234567":         h,
		"/cvmfs/r/data/01/23456789abcdef0123456789abcdef01234567C":        h,
		"/cvmfs/r/data/01/23456789abcdef0123456789abcdef01234567-rmd160P": h + "-rmd160",
		"/cvmfs/r/data/zz/notahash":                                       "", "/cvmfs/r/.cvmfspublished": "",
	} {
		if got, _ := objectOf(p); got != want {
			t.Errorf("%s: %q, want %q", p, got, want)
		}
	}
}

func FuzzFetchedObjects(f *testing.F) {
	f.Add("time=x level=INFO msg=access method=GET path=/cvmfs/r/data/01/23456789abcdef0123456789abcdef01234567C status=200 bytes=3\n")
	f.Add("path=/data/ status=200")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := FetchedObjects(strings.NewReader(s))
		if err == nil && len(m) == 0 {
			t.Fatal("no error and no objects")
		}
	})
}

func openHTTP(t *testing.T, storage, keyDir string, log io.Writer) *reader.Repo {
	t.Helper()
	src, _ := repotest.ServeLog(t, storage, fqrn, log)
	return openRepo(t, src, keyDir)
}

func openRepo(t *testing.T, src reader.Source, keyDir string) *reader.Repo {
	t.Helper()
	masters, err := keys.LoadPublic(filepath.Join(keyDir, fqrn+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	cache, err := reader.NewDirCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r, err := reader.Open(context.Background(), reader.Options{FQRN: fqrn, Source: src, Cache: cache, MasterKeys: masters})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func readAll(t *testing.T, r *reader.Repo, p string) {
	t.Helper()
	n, err := r.Lookup(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	f, err := r.Open(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, io.NewSectionReader(f, 0, n.Size)); err != nil {
		t.Fatal(err)
	}
}
