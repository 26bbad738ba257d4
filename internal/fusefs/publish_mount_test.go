package fusefs_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/repo"
	"github.com/ucvm/ucvm/internal/tree"
)

const pubFQRN = "client.test.local"

// pubRepo is a repository published by ucvm for mount tests.
type pubRepo struct {
	t                  *testing.T
	src, storage, keys string
}

func newPubRepo(t *testing.T) *pubRepo {
	d := t.TempDir()
	p := &pubRepo{t: t, src: filepath.Join(d, "src"), storage: filepath.Join(d, "storage"), keys: filepath.Join(d, "keys")}
	if _, _, err := repo.Create(pubFQRN, p.storage, p.keys, time.Now()); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *pubRepo) write(rel, content string) {
	path := filepath.Join(p.src, rel)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func (p *pubRepo) publish(tag string, ttl int64) uint64 {
	p.t.Helper()
	res, err := publish.Publish(context.Background(), publish.Options{FQRN: pubFQRN, Storage: p.storage,
		Keys: p.keys, Source: p.src, Tag: tag, TTL: ttl})
	if err != nil {
		p.t.Fatal(err)
	}
	return res.Manifest.Revision
}

func (p *pubRepo) key() string { return filepath.Join(p.keys, pubFQRN+".pub") }

// TestTTLNewRevisionTagStays: a trunk mount follows a new revision once the
// TTL expired; a tag mount of the same repository stays where it is.
func TestTTLNewRevisionTagStays(t *testing.T) {
	p := newPubRepo(t)
	p.write("a.txt", "one\n")
	p.write("c.txt", "three\n")
	rev1 := p.publish("v1", 1)
	srv := newRepoServer(t, pubFQRN, p.storage)

	trunk := newEnv(t, pubFQRN, p.key(), t.TempDir(), 0, srv.repoURL(pubFQRN))
	mnt, m := trunk.mount(t)
	tagged := newEnv(t, pubFQRN, p.key(), t.TempDir(), 0, srv.repoURL(pubFQRN))
	tagged.tag = "v1"
	tmnt, tm := tagged.mount(t)
	if got := string(readFile(t, filepath.Join(mnt, "a.txt"))); got != "one\n" {
		t.Fatalf("first revision: %q", got)
	}
	xattr(t, mnt, "user.revision", fmt.Sprint(rev1))
	// Opened, not read, before the switch: reads arrive by inode (no-open
	// mode) after revision 1 is closed and must still get its content.
	old, err := os.Open(filepath.Join(mnt, "c.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()

	p.write("a.txt", "second\n") // other size: the publisher quick-checks size+mtime
	p.write("c.txt", "changed c\n")
	p.write("b.txt", "new\n")
	rev2 := p.publish("v2", 1)
	deadline := time.Now().Add(15 * time.Second)
	for m.FS.Info().Revision != rev2 && time.Now().Before(deadline) {
		os.Stat(filepath.Join(mnt, "a.txt"))
		os.Stat(filepath.Join(tmnt, "a.txt"))
		time.Sleep(200 * time.Millisecond)
	}
	if m.FS.Info().Revision != rev2 {
		t.Fatalf("trunk mount stayed at revision %d, want %d", m.FS.Info().Revision, rev2)
	}
	time.Sleep(1200 * time.Millisecond) // kernel caches live one TTL
	if got := string(readFile(t, filepath.Join(mnt, "a.txt"))); got != "second\n" {
		st, _ := os.Stat(filepath.Join(mnt, "a.txt"))
		t.Fatalf("after update: %q (ino %v, hash %s, ttl %v)", got, st.Sys(), getx(t, filepath.Join(mnt, "a.txt"), "user.hash"), m.FS.Info().TTL)
	}
	if got := string(readFile(t, filepath.Join(mnt, "b.txt"))); got != "new\n" {
		t.Fatalf("new file: %q", got)
	}
	if got, err := io.ReadAll(old); err != nil || string(got) != "three\n" {
		t.Fatalf("file opened in revision %d read after the switch: %q, %v", rev1, got, err)
	}
	if got := string(readFile(t, filepath.Join(mnt, "c.txt"))); got != "changed c\n" {
		t.Fatalf("reopened after the switch: %q", got)
	}
	if tm.FS.Info().Revision != rev1 || string(readFile(t, filepath.Join(tmnt, "a.txt"))) != "one\n" {
		t.Fatalf("tag mount moved to revision %d", tm.FS.Info().Revision)
	}
	b, err := trunk.cache.ReadBreadcrumb(pubFQRN)
	if err != nil || b.Revision != rev2 {
		t.Fatalf("breadcrumb %+v %v", b, err)
	}
}

// TestConcurrentReadersPublished: 64 readers over 3,000 files of a published
// repository through one mount, cold cache: 0 errors.
func TestConcurrentReadersPublished(t *testing.T) {
	p := newPubRepo(t)
	const dirs, per = 30, 100
	for d := range dirs {
		for f := range per {
			p.write(fmt.Sprintf("d%02d/f%03d", d, f), fmt.Sprintf("file %d/%d\n", d, f))
		}
	}
	p.write("d07/.cvmfscatalog", "")
	p.publish("", 240)
	srv := newRepoServer(t, pubFQRN, p.storage)
	e := newEnv(t, pubFQRN, p.key(), t.TempDir(), 0, srv.repoURL(pubFQRN))
	mnt, _ := e.mount(t)
	var errs atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(90 * time.Second)
	for r := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range dirs * per / 8 {
				if time.Now().After(deadline) {
					errs.Add(1)
					return
				}
				k := (r*97 + i*13) % (dirs * per)
				d, f := k/per, k%per
				got, err := os.ReadFile(fmt.Sprintf("%s/d%02d/f%03d", mnt, d, f))
				if err != nil || string(got) != fmt.Sprintf("file %d/%d\n", d, f) {
					if errs.Add(1) <= 3 {
						t.Errorf("reader %d: %q %v", r, got, err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := errs.Load(); n != 0 {
		t.Fatalf("%d errors", n)
	}
	src, err := tree.FromDir(p.src)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	tree.Write(&want, src)
	if d := tree.Diff(want.String(), listing(t, mnt), 10); d != "" {
		t.Fatalf("mount differs from the published source:\n%s", d)
	}
}
