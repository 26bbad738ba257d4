package fetch

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConcurrentGetsCollapse(t *testing.T) {
	objs := objects(1, 8192)
	o := startOrigin(t, objs)
	o.delay = 200 * time.Millisecond // all callers arrive while the first waits
	f := mustNew(t, testConfig(o.url+"/repo"))
	const n = 32
	var wg sync.WaitGroup
	errs := make([]error, n)
	gots := make([][]byte, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.Get(ctxT(t, 10*time.Second), "data/00/obj0", hashVerifier(objs[obj0], &gots[i]))
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || string(gots[i]) != string(objs[obj0]) {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
	}
	if h := o.hits.Load(); h != 1 {
		t.Fatalf("%d concurrent Gets made %d upstream requests, want 1", n, h)
	}
}

func TestCollapsedFollowerSurvivesLeaderCancel(t *testing.T) {
	objs := objects(1, 100)
	o := startOrigin(t, objs)
	o.delay = 300 * time.Millisecond
	f := mustNew(t, testConfig(o.url+"/repo"))
	leaderCtx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Get(leaderCtx, "data/00/obj0", hashVerifier(objs[obj0], nil)) }()
	time.Sleep(50 * time.Millisecond)
	follower := make(chan error, 1)
	go func() { follower <- f.Get(ctxT(t, 10*time.Second), "data/00/obj0", hashVerifier(objs[obj0], nil)) }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("leader: %v", err)
	}
	if err := <-follower; err != nil {
		t.Fatalf("follower must download itself after the leader was cancelled: %v", err)
	}
}

func Test64ConcurrentFetchers(t *testing.T) {
	objs := objects(512, 3000)
	a, b := startOrigin(t, objs), startOrigin(t, objs)
	c := testConfig(deadAddr(t)+"/repo", a.url+"/repo", b.url+"/repo")
	f := mustNew(t, c)
	ctx := ctxT(t, 60*time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 64 { // bounded: 64 × 64 fetches
				k := (g*7 + i) % 512
				p := fmt.Sprintf("/repo/data/%02x/obj%d", k%256, k)
				if err := f.Get(ctx, strings.TrimPrefix(p, "/repo/"), hashVerifier(objs[p], nil)); err != nil {
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d failures, first: %s", len(failures), failures[0])
	}
	if f.Info().Host != 1 {
		t.Fatalf("want the dead first host left once, globally: %+v", f.Info())
	}
}

func TestKeepAliveAndHeaders(t *testing.T) {
	objs := objects(50, 500)
	o := startOrigin(t, objs)
	f := mustNew(t, testConfig(o.url+"/repo"))
	for i := range 50 {
		p := fmt.Sprintf("data/%02x/obj%d", i, i)
		if err := f.Get(ctxT(t, 5*time.Second), p, hashVerifier(objs["/repo/"+p], nil)); err != nil {
			t.Fatal(err)
		}
	}
	if n := o.conns.Load(); n != 1 {
		t.Fatalf("50 sequential fetches used %d connections, want 1 (keep-alive)", n)
	}
	r := o.requests()[0]
	if ua := r.Header.Get("User-Agent"); !strings.Contains(ua, "cvmfs Fuse") {
		t.Fatalf("User-Agent %q", ua)
	}
	if r.Header.Get("Accept-Encoding") != "" {
		t.Fatal("objects must be requested without transfer compression")
	}
	if i := f.Info(); i.Downloads != 50 || i.Bytes != 50*500 {
		t.Fatalf("counters %+v", i)
	}
}

func TestQueuedRequestsAreNotStalls(t *testing.T) {
	objs := objects(10, 100)
	o := startOrigin(t, objs)
	o.delay = 100 * time.Millisecond
	c := testConfig(o.url+"/repo", deadAddr(t)+"/repo")
	c.Timeout, c.TimeoutDirect, c.MaxConnsPerHost = 400*time.Millisecond, 400*time.Millisecond, 1
	f := mustNew(t, c)
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for i := range 10 { // 10 × 100 ms through one connection: 1 s > timeout
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("data/%02x/obj%d", i, i)
			errs <- f.Get(ctxT(t, 10*time.Second), p, hashVerifier(objs["/repo/"+p], nil))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if f.Info().Failures != 0 {
		t.Fatalf("time queued for a connection counted as a stall: %+v", f.Info())
	}
}

func TestCollapseLargeObjectWithWaiters(t *testing.T) {
	objs := objects(1, 3<<20) // beyond the always-recorded 1 MiB
	o := startOrigin(t, objs)
	o.delay = 200 * time.Millisecond
	f := mustNew(t, testConfig(o.url+"/repo"))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.Get(ctxT(t, 20*time.Second), "data/00/obj0", hashVerifier(objs[obj0], nil))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if h := o.hits.Load(); h != 1 {
		t.Fatalf("3 MiB object: %d upstream requests for 8 concurrent Gets, want 1", h)
	}
	// Alone, a large object is not kept in memory.
	rec := &recorder{limit: 32 << 20, free: 1 << 20, fl: &flight{}}
	rec.Write(make([]byte, 2<<20))
	if !rec.over || rec.buf != nil {
		t.Fatal("recorder kept a large body without waiters")
	}
}
