package fetch

import (
	"errors"
	"net"
	"testing"
	"time"
)

func TestProxyGroupDownNextGroup(t *testing.T) {
	objs := objects(1, 2000)
	o := startOrigin(t, objs)
	p := startProxy(t)
	c := testConfig(o.url + "/repo")
	c.Proxies = [][]string{{deadAddr(t)}, {p.url}}
	f := mustNew(t, c)
	if err := f.Get(ctxT(t, 10*time.Second), "data/00/obj0", hashVerifier(objs[obj0], nil)); err != nil {
		t.Fatal(err)
	}
	i := f.Info()
	if i.ProxyGroup != 1 || i.Proxy != p.url || p.hits.Load() != 1 || o.hits.Load() != 1 {
		t.Fatalf("want group 1 via %s: %+v proxy hits %d", p.url, i, p.hits.Load())
	}
	if i.Host != 0 {
		t.Fatal("a proxy failure must not switch host")
	}
}

func TestProxyErrorHeaderIsProxyFailure(t *testing.T) {
	objs := objects(1, 2000)
	o := startOrigin(t, objs)
	bad, good := startProxy(t), startProxy(t)
	bad.fail.Store(true)
	c := testConfig(o.url + "/repo")
	c.Proxies = [][]string{{bad.url}, {good.url}}
	f := mustNew(t, c)
	if err := f.Get(ctxT(t, 10*time.Second), "data/00/obj0", hashVerifier(objs[obj0], nil)); err != nil {
		t.Fatal(err)
	}
	if f.Info().Proxy != good.url || bad.hits.Load() != 1 {
		t.Fatalf("X-Squid-Error 502 must switch proxy: %+v", f.Info())
	}
}

func TestAllProxiesDownBecomesHostFailure(t *testing.T) {
	objs := objects(1, 100)
	a := startOrigin(t, objs)
	b := startOrigin(t, objs)
	p1, p2 := startProxy(t), startProxy(t)
	p1.fail.Store(true)
	p2.fail.Store(true)
	c := testConfig(a.url+"/repo", b.url+"/repo")
	c.MaxRetries = 0
	c.Proxies = [][]string{{p1.url}, {p2.url}}
	f := mustNew(t, c)
	err := f.Get(ctxT(t, 10*time.Second), "data/00/obj0", hashVerifier(objs[obj0], nil))
	if !errors.Is(err, ErrOffline) {
		t.Fatalf("want ErrOffline, got %v", err)
	}
	// 2 proxies on host a, converted to a host failure, then host b is
	// tried once (its proxy error is final: all proxies were used).
	if n := p1.hits.Load() + p2.hits.Load(); n != 3 {
		t.Fatalf("want 3 bounded attempts, got %d", n)
	}
	if a.hits.Load()+b.hits.Load() != 0 {
		t.Fatal("origins must not be reached through failing proxies")
	}
}

func TestLoadBalanceWithinGroup(t *testing.T) {
	objs := objects(1, 100)
	o := startOrigin(t, objs)
	p1, p2 := startProxy(t), startProxy(t)
	c := testConfig(o.url + "/repo")
	c.Proxies = [][]string{{p1.url, p2.url}}
	// Like cvmfs, each client picks one member at random and sticks to it:
	// 40 clients spread over both (P(all on one) = 2^-39).
	for range 40 {
		f := mustNew(t, c)
		for range 3 {
			if _, err := f.GetBytes(ctxT(t, 5*time.Second), "data/00/obj0", 1000); err != nil {
				t.Fatal(err)
			}
		}
		if f.Info().ProxyGroup != 0 {
			t.Fatal("left the group")
		}
	}
	if p1.hits.Load() == 0 || p2.hits.Load() == 0 || p1.hits.Load()+p2.hits.Load() != 120 {
		t.Fatalf("not balanced: %d / %d", p1.hits.Load(), p2.hits.Load())
	}
	// A failed member is replaced by another of the same group.
	p1.fail.Store(true)
	for range 10 {
		f := mustNew(t, c)
		if _, err := f.GetBytes(ctxT(t, 5*time.Second), "data/00/obj0", 1000); err != nil {
			t.Fatal(err)
		}
		if i := f.Info(); i.Proxy != p2.url || i.ProxyGroup != 0 {
			t.Fatalf("want p2 in group 0: %+v", i)
		}
	}
}

func TestResetTimers(t *testing.T) {
	objs := objects(1, 100)
	a, b := startOrigin(t, objs), startOrigin(t, objs)
	p1, p2 := startProxy(t), startProxy(t)
	c := testConfig(a.url+"/repo", b.url+"/repo")
	c.Proxies = [][]string{{p1.url}, {p2.url}}
	c.HostResetAfter, c.ProxyResetAfter = 300*time.Millisecond, 300*time.Millisecond
	f := mustNew(t, c)
	get := func() {
		t.Helper()
		if _, err := f.GetBytes(ctxT(t, 5*time.Second), "data/00/obj0", 1000); err != nil {
			t.Fatal(err)
		}
	}
	a.setMode("500")
	p1.fail.Store(true)
	get()
	if i := f.Info(); i.Host != 1 || i.ProxyGroup != 1 {
		t.Fatalf("want backup host and group: %+v", i)
	}
	a.setMode("ok")
	p1.fail.Store(false)
	get() // still on the backups before the timers expire
	if i := f.Info(); i.Host != 1 || i.ProxyGroup != 1 {
		t.Fatalf("reset too early: %+v", i)
	}
	time.Sleep(400 * time.Millisecond)
	aHits, p1Hits := a.hits.Load(), p1.hits.Load()
	get()
	if i := f.Info(); i.Host != 0 || i.ProxyGroup != 0 || a.hits.Load() != aHits+1 || p1.hits.Load() != p1Hits+1 {
		t.Fatalf("timers did not return to the primaries: %+v", i)
	}
}

func TestManualSwitches(t *testing.T) {
	c := testConfig("http://127.0.0.1:1/a", "http://127.0.0.1:1/b")
	c.Proxies = [][]string{{"http://127.0.0.1:2"}, {Direct}}
	f := mustNew(t, c)
	f.SwitchProxyGroup()
	if i := f.Info(); i.Proxy != Direct || i.ProxyGroup != 1 {
		t.Fatalf("%+v", i)
	}
	f.SwitchHost()
	if got := f.Info().HostList(); len(got) != 2 || got[0] != "http://127.0.0.1:1/b" {
		t.Fatalf("host list %v", got)
	}
}

func TestSetHostsAndProxies(t *testing.T) {
	objs := objects(1, 100)
	a, b := startOrigin(t, objs), startOrigin(t, objs)
	p := startProxy(t)
	f := mustNew(t, testConfig(a.url+"/repo"))
	if err := f.SetHosts([]string{b.url + "/repo"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetProxies([][]string{{p.url}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetBytes(ctxT(t, 5*time.Second), "data/00/obj0", 1000); err != nil {
		t.Fatal(err)
	}
	if a.hits.Load() != 0 || b.hits.Load() != 1 || p.hits.Load() != 1 {
		t.Fatal("new hosts/proxies not used")
	}
	if f.SetHosts(nil) == nil || f.SetProxies([][]string{{Auto}}, nil) == nil {
		t.Fatal("invalid settings accepted")
	}
}

// blackHole accepts connections and never answers (a hung proxy).
func blackHole(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return "http://" + ln.Addr().String()
}

func TestHungProxyFailsOverWithinBudget(t *testing.T) {
	objs := objects(1, 100)
	o := startOrigin(t, objs)
	c := testConfig(o.url + "/repo")
	c.Timeout = 500 * time.Millisecond
	c.MaxRetries = 1
	c.Proxies = [][]string{{blackHole(t)}, {Direct}}
	f := mustNew(t, c)
	start := time.Now()
	if _, err := f.GetBytes(ctxT(t, 20*time.Second), "data/00/obj0", 1000); err != nil {
		t.Fatal(err)
	}
	// 2 attempts (1 retry) × 1 window + backoff; a hang would never end.
	if d := time.Since(start); d > 2*c.Timeout+3*time.Second {
		t.Fatalf("hung proxy held the request %v", d)
	}
	if i := f.Info(); i.Proxy != Direct || i.Failures != 2 {
		t.Fatalf("want DIRECT after 2 failed attempts: %+v", i)
	}
}
