package fetch

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// origin is a real HTTP server on 127.0.0.1 serving objects, with
// switchable misbehaviour.
type origin struct {
	url      string
	ln       net.Listener
	srv      *http.Server
	objects  map[string][]byte
	mode     atomic.Value // string: "ok", "500", "404", "bad", "stall", "slowhead", "squiderr"
	delay    time.Duration
	redirect string // if set: 302 to redirect+path
	hits     atomic.Int64
	conns    atomic.Int64
	mu       sync.Mutex
	reqs     []*http.Request
}

func startOrigin(t testing.TB, objects map[string][]byte) *origin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &origin{ln: ln, objects: objects, url: "http://" + ln.Addr().String()}
	o.mode.Store("ok")
	o.srv = &http.Server{Handler: http.HandlerFunc(o.serve), ConnState: func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			o.conns.Add(1)
		}
	}}
	go o.srv.Serve(ln)
	t.Cleanup(func() { o.srv.Close() })
	return o
}

func (o *origin) setMode(m string) { o.mode.Store(m) }

func (o *origin) requests() []*http.Request {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]*http.Request(nil), o.reqs...)
}

func (o *origin) serve(w http.ResponseWriter, r *http.Request) {
	o.hits.Add(1)
	o.mu.Lock()
	if len(o.reqs) < 1000 {
		o.reqs = append(o.reqs, r)
	}
	o.mu.Unlock()
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
	if o.delay > 0 {
		time.Sleep(o.delay)
	}
	data, ok := o.objects[r.URL.Path]
	mode := o.mode.Load().(string)
	switch {
	case o.redirect != "":
		http.Redirect(w, r, o.redirect+r.URL.Path, http.StatusFound)
	case mode == "500":
		http.Error(w, "broken", 500)
	case mode == "squiderr":
		w.Header().Set("X-Squid-Error", "ERR_CONNECT_FAIL 111")
		http.Error(w, "proxy cannot connect", 503)
	case mode == "404" || !ok:
		http.NotFound(w, r)
	case mode == "bad" || (mode == "badcached" && r.Header.Get("Pragma") != "no-cache"):
		bad := bytes.Clone(data)
		bad[0] ^= 0xff
		w.Write(bad)
	case mode == "stall":
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data[:len(data)/2])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	case mode == "slowhead":
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	default:
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data)
	}
}

// deadAddr returns a loopback URL where nothing listens.
func deadAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := ln.Addr().String()
	ln.Close()
	return "http://" + a
}

// proxy is a tiny real forward proxy on loopback.
type proxy struct {
	url  string
	hits atomic.Int64
	fail atomic.Bool // answer 502 with X-Squid-Error
}

func startProxy(t testing.TB) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{url: "http://" + ln.Addr().String()}
	tr := &http.Transport{DisableCompression: true}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.hits.Add(1)
		if p.fail.Load() || !r.URL.IsAbs() {
			w.Header().Set("X-Squid-Error", "ERR_CONNECT_FAIL 111")
			http.Error(w, "proxy failure", http.StatusBadGateway)
			return
		}
		out, _ := http.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), nil)
		out.Header = r.Header.Clone()
		resp, err := tr.RoundTrip(out)
		if err != nil {
			w.Header().Set("X-Squid-Error", "ERR_CONNECT_FAIL 111")
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close(); tr.CloseIdleConnections() })
	return p
}

// objects makes n deterministic objects under /repo/data/.
func objects(n, size int) map[string][]byte {
	m := map[string][]byte{}
	for i := range n {
		b := bytes.Repeat([]byte(fmt.Sprintf("object %d;", i)), size/8+1)[:size]
		m[fmt.Sprintf("/repo/data/%02x/obj%d", i%256, i)] = b
	}
	return m
}

// hashVerifier checks the body against the SHA-1 of want.
func hashVerifier(want []byte, got *[]byte) Verifier {
	sum := sha1.Sum(want)
	return func(r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if sha1.Sum(b) != sum {
			return fmt.Errorf("%w: hash mismatch", ErrBadData)
		}
		if got != nil {
			*got = b
		}
		return nil
	}
}

// testConfig: short timeouts and backoffs for loopback tests.
func testConfig(hosts ...string) Config {
	c := DefaultConfig()
	c.Hosts = hosts
	c.Timeout, c.TimeoutDirect = time.Second, time.Second
	c.BackoffInit, c.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	return c
}

func mustNew(t testing.TB, c Config) *Fetcher {
	t.Helper()
	f, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	return f
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
