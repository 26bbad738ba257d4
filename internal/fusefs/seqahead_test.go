package fusefs_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/fusefs"
)

// TestReadAheadAcrossFiles: reading a directory's files in listing order
// downloads the next ones before they are asked for, and each object only
// once; scattered reads download nothing extra; every file has its content.
func TestReadAheadAcrossFiles(t *testing.T) {
	p := newPubRepo(t)
	for i := 0; i < 40; i++ {
		p.write(fmt.Sprintf("scan/f%02d", i), fmt.Sprintf("scan content %d\n", i))
		p.write(fmt.Sprintf("rand/f%02d", i), fmt.Sprintf("rand content %d\n", i))
	}
	p.publish("", 0)
	srv := newRepoServer(t, pubFQRN, p.storage)
	e := newEnv(t, pubFQRN, p.key(), t.TempDir(), 0, srv.repoURL(pubFQRN))
	mnt, m := e.mount(t)
	read := func(dir string, i int) {
		t.Helper()
		if got, want := string(readFile(t, filepath.Join(mnt, dir, fmt.Sprintf("f%02d", i)))), fmt.Sprintf("%s content %d\n", dir, i); got != want {
			t.Fatalf("%s/f%02d: %q, want %q", dir, i, got, want)
		}
	}
	if _, err := os.ReadDir(filepath.Join(mnt, "rand")); err != nil {
		t.Fatal(err)
	}
	before := srv.requests.Load()
	for _, i := range []int{0, 13, 27} {
		read("rand", i)
	}
	time.Sleep(300 * time.Millisecond)
	if n := srv.requests.Load() - before; n != 3 {
		t.Fatalf("scattered reads of 3 files made %d requests", n)
	}

	if _, err := os.ReadDir(filepath.Join(mnt, "scan")); err != nil {
		t.Fatal(err)
	}
	before = srv.requests.Load()
	for i := 0; i < 4; i++ {
		read("scan", i)
	}
	for deadline := time.Now().Add(5 * time.Second); srv.requests.Load()-before <= 4 || m.FS.Stats().Pushed == 0; {
		if time.Now().After(deadline) {
			t.Fatalf("no read-ahead after 4 files read in order (%d requests, %+v)", srv.requests.Load()-before, m.FS.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := 4; i < 40; i++ {
		read("scan", i)
	}
	time.Sleep(300 * time.Millisecond)
	if n := srv.requests.Load() - before; n != 40 {
		t.Fatalf("reading 40 files in order made %d requests, want 40 (one per object)", n)
	}
	// The files fetched ahead were stored in the page cache (find, ls and
	// os.ReadDir list with READDIRPLUS: the kernel knows the inodes), so
	// most were read without a READ reaching the daemon.
	st := m.FS.Stats()
	if st.Pushed == 0 || st.Reads >= 3+40 {
		t.Fatalf("after 43 files read: %+v, want files pushed and fewer reads than files", st)
	}
	t.Logf("%+v", st)
}

// TestReadAheadWarm: with every object cached and the page cache dropped,
// a scan reads files from the page cache after the first few (pushed from
// the local cache), and every file has its own content.
func TestReadAheadWarm(t *testing.T) {
	p := newPubRepo(t)
	for i := 0; i < 100; i++ {
		p.write(fmt.Sprintf("d/f%03d", i), strings.Repeat(fmt.Sprintf("warm %d\n", i), i*50))
	}
	p.publish("", 0)
	srv := newRepoServer(t, pubFQRN, p.storage)
	cacheDir := t.TempDir()
	scan := func() fusefs.Stats {
		t.Helper()
		e := newEnv(t, pubFQRN, p.key(), cacheDir, 0, srv.repoURL(pubFQRN))
		mnt, m := e.mount(t)
		if _, err := os.ReadDir(filepath.Join(mnt, "d")); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 100; i++ {
			got := string(readFile(t, filepath.Join(mnt, "d", fmt.Sprintf("f%03d", i))))
			if want := strings.Repeat(fmt.Sprintf("warm %d\n", i), i*50); got != want {
				t.Fatalf("f%03d: %d bytes, want %d", i, len(got), len(want))
			}
			// Under load the pushes may lag behind the reader: let the
			// first window land once (bounded) so that the counts below
			// do not depend on the machine's speed.
			for deadline := time.Now().Add(5 * time.Second); i == 10 && m.FS.Stats().Pushed < 8 && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
		}
		st := m.FS.Stats()
		if err := m.Unmount(); err != nil {
			t.Fatal(err)
		}
		e.cache.Close()
		return st
	}
	scan() // cold: fills the cache
	before := srv.requests.Load()
	st := scan() // a new mount: a new page cache for its inodes
	if n := srv.requests.Load() - before; n > 2 {
		t.Errorf("warm scan made %d requests", n)
	}
	if st.Pushed < 50 || st.Reads >= 100 {
		t.Fatalf("warm scan of 100 files: %+v, want most pushed from the cache", st)
	}
	t.Logf("%+v", st)
}
