package fetch

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const obj0 = "/repo/data/00/obj0"

func TestFirstHostDownSecondServes(t *testing.T) {
	objs := objects(1, 1000)
	o := startOrigin(t, objs)
	f := mustNew(t, testConfig(deadAddr(t)+"/repo", o.url+"/repo"))
	var got []byte
	if err := f.Get(ctxT(t, 10*time.Second), "data/00/obj0", hashVerifier(objs[obj0], &got)); err != nil {
		t.Fatal(err)
	}
	if string(got) != string(objs[obj0]) {
		t.Fatal("wrong content")
	}
	if i := f.Info(); i.Host != 1 || i.Failures < 1 {
		t.Fatalf("want switch to host 1 after a failure, got %+v", i)
	}
	// The switch is global: the next request goes straight to host 1.
	before := f.Info().Failures
	if _, err := f.GetBytes(ctxT(t, 5*time.Second), "data/00/obj0", 1<<20); err != nil {
		t.Fatal(err)
	}
	if f.Info().Failures != before {
		t.Fatal("second request retried the dead host")
	}
}

func TestStallMidObjectFailsWithinBudget(t *testing.T) {
	objs := objects(1, 256<<10)
	stall := startOrigin(t, objs)
	stall.setMode("stall")
	good := startOrigin(t, objs)
	c := testConfig(stall.url+"/repo", good.url+"/repo")
	c.MaxRetries = 0
	f := mustNew(t, c)
	start := time.Now()
	if err := f.Get(ctxT(t, 20*time.Second), "data/00/obj0", hashVerifier(objs[obj0], nil)); err != nil {
		t.Fatal(err)
	}
	// Deadline property, not a speed measurement: a stalled attempt ends
	// within 2 watchdog windows (1 s each); a hang would take 30 s.
	if d := time.Since(start); d > 2*c.Timeout+4*time.Second {
		t.Fatalf("stalled host held the request for %v", d)
	}
	if f.Info().Host != 1 || stall.hits.Load() != 1 {
		t.Fatalf("want one try on the stalled host then host 1: %+v hits=%d", f.Info(), stall.hits.Load())
	}
}

func TestStallOnlyHostEndsWithError(t *testing.T) {
	objs := objects(1, 64<<10)
	for _, mode := range []string{"stall", "slowhead"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			o := startOrigin(t, objs)
			o.setMode(mode)
			c := testConfig(o.url + "/repo")
			c.Timeout, c.TimeoutDirect = 500*time.Millisecond, 500*time.Millisecond
			c.MaxRetries = 1
			f := mustNew(t, c)
			start := time.Now()
			err := f.Get(ctxT(t, 20*time.Second), "data/00/obj0", hashVerifier(objs[obj0], nil))
			if !errors.Is(err, ErrOffline) || !strings.Contains(err.Error(), "stalled") {
				t.Fatalf("want ErrOffline naming the stall, got %v", err)
			}
			// budget: 2 windows × 2 attempts + backoff; a hang would be 30 s
			if d := time.Since(start); d > 4*c.Timeout+4*time.Second {
				t.Fatalf("took %v", d)
			}
			if o.hits.Load() != 2 {
				t.Fatalf("want 2 attempts (1 retry), got %d", o.hits.Load())
			}
		})
	}
}

func TestStatusClassification(t *testing.T) {
	objs := objects(1, 100)
	a, b := startOrigin(t, objs), startOrigin(t, objs)
	f := mustNew(t, testConfig(a.url+"/repo", b.url+"/repo"))
	ctx := ctxT(t, 10*time.Second)
	_, err := f.GetBytes(ctx, "data/ff/missing", 1000)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("404 everywhere: want ErrNotFound, got %v", err)
	}
	if a.hits.Load() != 1 || b.hits.Load() != 1 {
		t.Fatalf("each host must be asked once: %d %d", a.hits.Load(), b.hits.Load())
	}
	a.setMode("500")
	b.setMode("500")
	if _, err = f.GetBytes(ctx, "data/00/obj0", 1000); !errors.Is(err, ErrHTTP) || errors.Is(err, ErrNotFound) {
		t.Fatalf("500 everywhere: want ErrHTTP, got %v", err)
	}
	// 500 on one host is a host error: the other serves.
	b.setMode("ok")
	if _, err = f.GetBytes(ctx, "data/00/obj0", 1000); err != nil {
		t.Fatal(err)
	}
	a.setMode("ok")
	b.setMode("404")
	f.SwitchHost() // back to a
	if f.Info().Host != 0 {
		t.Fatal("SwitchHost did not cycle")
	}
	if _, err = f.GetBytes(ctx, "data/00/obj0", 10); !errors.Is(err, ErrBadData) {
		t.Fatalf("oversize: want ErrBadData, got %v", err)
	}
	if _, err = f.GetBytes(ctx, "../etc/passwd", 10); err == nil {
		t.Fatal("path escaping the repository accepted")
	}
}

func TestBadDataNoCacheRetryThenNextHost(t *testing.T) {
	objs := objects(1, 4096)
	a, b := startOrigin(t, objs), startOrigin(t, objs)
	a.setMode("badcached") // good only under no-cache (a stale proxy cache)
	f := mustNew(t, testConfig(a.url+"/repo", b.url+"/repo"))
	ctx := ctxT(t, 10*time.Second)
	if err := f.Get(ctx, "data/00/obj0", hashVerifier(objs[obj0], nil)); err != nil {
		t.Fatal(err)
	}
	reqs := a.requests()
	if len(reqs) != 2 || reqs[0].Header.Get("Pragma") != "" || reqs[1].Header.Get("Pragma") != "no-cache" ||
		reqs[1].Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("want a plain then a no-cache request, got %d", len(reqs))
	}
	if b.hits.Load() != 0 || f.Info().Host != 0 {
		t.Fatal("no-cache retry should have sufficed")
	}
	a.setMode("bad")
	if err := f.Get(ctx, "data/00/obj0", hashVerifier(objs[obj0], nil)); err != nil {
		t.Fatal(err)
	}
	if a.hits.Load() != 4 || b.hits.Load() != 1 || f.Info().Host != 1 {
		t.Fatalf("bad twice on a → host b: a=%d b=%d", a.hits.Load(), b.hits.Load())
	}
	b.setMode("bad")
	err := f.Get(ctx, "data/00/obj0", hashVerifier(objs[obj0], nil))
	if !errors.Is(err, ErrBadData) {
		t.Fatalf("bad everywhere: want ErrBadData, got %v", err)
	}
}

func TestVerifierOwnErrorAborts(t *testing.T) {
	objs := objects(1, 100)
	a, b := startOrigin(t, objs), startOrigin(t, objs)
	f := mustNew(t, testConfig(a.url+"/repo", b.url+"/repo"))
	diskFull := errors.New("disk full")
	err := f.Get(ctxT(t, 5*time.Second), "data/00/obj0", func(r io.Reader) error { return diskFull })
	if !errors.Is(err, diskFull) {
		t.Fatalf("want the Verifier's error, got %v", err)
	}
	if a.hits.Load() != 1 || b.hits.Load() != 0 {
		t.Fatal("a Verifier's own error must not fail over")
	}
}

func TestLocalHosts(t *testing.T) {
	objs := objects(1, 300)
	dir := t.TempDir()
	p := filepath.Join(dir, "data", "00", "obj0")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, objs[obj0], 0o644)
	empty := t.TempDir()
	f := mustNew(t, testConfig(empty, "file://"+dir))
	if err := f.Get(ctxT(t, 5*time.Second), "data/00/obj0", hashVerifier(objs[obj0], nil)); err != nil {
		t.Fatal(err)
	}
	if f.Info().Host != 1 {
		t.Fatal("missing file on the first directory must fail over")
	}
	if _, err := f.GetBytes(ctxT(t, 5*time.Second), "nothing", 10); !errors.Is(err, ErrNotFound) {
		t.Fatalf("want ErrNotFound, got %v", err)
	}
}

func TestRedirects(t *testing.T) {
	objs := objects(1, 100)
	target := startOrigin(t, objs)
	redir := startOrigin(t, objs)
	redir.redirect = target.url
	other := startOrigin(t, objs)
	c := testConfig(redir.url+"/repo", other.url+"/repo")
	f := mustNew(t, c)
	if _, err := f.GetBytes(ctxT(t, 5*time.Second), "data/00/obj0", 1000); err != nil {
		t.Fatal(err)
	}
	if target.hits.Load() != 0 || other.hits.Load() != 1 {
		t.Fatal("a redirect must be a host error unless CVMFS_FOLLOW_REDIRECTS=yes")
	}
	c.FollowRedirects = true
	f = mustNew(t, c)
	if _, err := f.GetBytes(ctxT(t, 5*time.Second), "data/00/obj0", 1000); err != nil {
		t.Fatal(err)
	}
	if target.hits.Load() != 1 || f.Info().Host != 0 {
		t.Fatal("redirect not followed")
	}
}
