package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Verifier consumes the body of one attempt; see the package comment.
type Verifier func(body io.Reader) error

// Fetcher downloads objects with failover; safe for concurrent use.
type Fetcher struct {
	cfg     Config
	client  *http.Client
	sel     *selector
	flights flights
	slots   chan struct{} // bounds parallel HTTP attempts (MaxConnsPerHost)

	downloads, bytes, failures atomic.Int64
}

// New validates cfg and returns a Fetcher.
func New(cfg Config) (*Fetcher, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	f := &Fetcher{cfg: cfg, slots: make(chan struct{}, cfg.MaxConnsPerHost)}
	f.sel = newSelector(cfg.Hosts, chain(cfg.Proxies, cfg.FallbackProxies), cfg.HostResetAfter, cfg.ProxyResetAfter)
	f.client = &http.Client{Transport: f.transport(), CheckRedirect: f.checkRedirect}
	f.flights.m = map[string]*flight{}
	return f, nil
}

func (f *Fetcher) transport() *http.Transport {
	dial := &net.Dialer{Timeout: max(f.cfg.Timeout, f.cfg.TimeoutDirect), KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: func(r *http.Request) (*url.URL, error) {
			p, _ := r.Context().Value(proxyKey{}).(string)
			if p == "" {
				return nil, nil
			}
			return url.Parse(p)
		},
		DialContext:         dial.DialContext,
		MaxIdleConns:        4 * f.cfg.MaxConnsPerHost,
		MaxIdleConnsPerHost: f.cfg.MaxConnsPerHost,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // objects must arrive byte-exact
		ReadBufferSize:      64 << 10,
		ForceAttemptHTTP2:   false,
	}
}

func (f *Fetcher) checkRedirect(req *http.Request, via []*http.Request) error {
	if !f.cfg.FollowRedirects {
		return http.ErrUseLastResponse
	}
	if len(via) > 4 {
		return errors.New("more than 4 redirects")
	}
	return nil
}

// Close releases idle connections.
func (f *Fetcher) Close() { f.client.CloseIdleConnections() }

// Get downloads relPath (e.g. "data/ab/cdef...C") and streams each
// attempt's body through v. See the package comment for the contract.
func (f *Fetcher) Get(ctx context.Context, relPath string, v Verifier) error {
	relPath = strings.TrimLeft(relPath, "/")
	if relPath == "" || strings.Contains("/"+relPath+"/", "/../") {
		return fmt.Errorf("fetch %q: invalid relative path", relPath)
	}
	if f.cfg.SpoolLimit < 0 {
		return f.do(ctx, relPath, v)
	}
	return f.collapsed(ctx, relPath, v)
}

// GetBytes downloads a small object (at most maxSize bytes, else bad
// data) into memory, e.g. ".cvmfspublished".
func (f *Fetcher) GetBytes(ctx context.Context, relPath string, maxSize int64) ([]byte, error) {
	var buf bytes.Buffer
	err := f.Get(ctx, relPath, func(r io.Reader) error {
		buf.Reset()
		n, err := io.Copy(&buf, io.LimitReader(r, maxSize+1))
		if err != nil {
			return err
		}
		if n > maxSize {
			return fmt.Errorf("%w: %s is larger than %d bytes", ErrBadData, relPath, maxSize)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// do runs the failover loop of one request (spec §10.4).
func (f *Fetcher) do(ctx context.Context, relPath string, v Verifier) error {
	var t tally
	var nocache bool
	var retries, hostsTried, proxiesTried int
	var backoff time.Duration
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		sel := f.sel.pick()
		o := f.attempt(ctx, sel, relPath, nocache, v)
		switch o.kind {
		case kindOK:
			f.downloads.Add(1)
			return nil
		case kindAbort:
			return o.err
		}
		f.failures.Add(1)
		t.add(o)
		f.cfg.Logger.Debug("fetch attempt failed", "path", relPath, "host", sel.host, "proxy", sel.proxy, "err", o.err)
		if o.transfer && !nocache && retries < f.cfg.MaxRetries {
			retries++
			backoff = f.nextBackoff(backoff)
			if err := sleep(ctx, backoff); err != nil {
				return err
			}
			continue
		}
		if o.kind == kindBadData && !nocache {
			nocache = true
			continue
		}
		retries, backoff, nocache = 0, 0, false
		if o.kind == kindProxy {
			proxiesTried++
			if proxiesTried < f.sel.numProxies() {
				f.cfg.Logger.Info("switching proxy", "failed", sel.proxy, "err", o.err)
				f.sel.failProxy(sel)
				continue
			}
			f.sel.resetProxies()
		}
		hostsTried++
		if hostsTried >= f.sel.numHosts() {
			return t.final(relPath)
		}
		f.cfg.Logger.Info("switching host", "failed", sel.host, "err", o.err)
		f.sel.failHost(sel)
	}
}

// nextBackoff: first random in [0,init], then doubled, capped at max.
func (f *Fetcher) nextBackoff(prev time.Duration) time.Duration {
	if prev == 0 {
		return time.Duration(rand.Int64N(int64(f.cfg.BackoffInit) + 1))
	}
	return min(2*prev, f.cfg.BackoffMax)
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Info returns the failover state and counters.
func (f *Fetcher) Info() Info {
	i := f.sel.info()
	i.Downloads, i.Bytes, i.Failures = f.downloads.Load(), f.bytes.Load(), f.failures.Load()
	return i
}

// SwitchHost moves to the next host (cvmfs_talk host switch).
func (f *Fetcher) SwitchHost() {
	f.sel.mu.Lock()
	defer f.sel.mu.Unlock()
	f.sel.switchHostLocked()
}

// SwitchProxyGroup moves to the next proxy group (cvmfs_talk proxy switch).
func (f *Fetcher) SwitchProxyGroup() {
	f.sel.mu.Lock()
	defer f.sel.mu.Unlock()
	f.sel.enterGroup((f.sel.group + 1) % len(f.sel.groups))
}

// RebalanceProxies re-picks a random proxy of the current group with all
// its members alive again (cvmfs_talk proxy rebalance).
func (f *Fetcher) RebalanceProxies() {
	f.sel.mu.Lock()
	defer f.sel.mu.Unlock()
	f.sel.enterGroup(f.sel.group)
}

// SetHosts replaces the host list and starts again at its first host
// (cvmfs_talk host set).
func (f *Fetcher) SetHosts(hosts []string) error {
	if len(hosts) == 0 {
		return fmt.Errorf("%w: empty host list", ErrBadConfig)
	}
	f.sel.mu.Lock()
	defer f.sel.mu.Unlock()
	f.sel.hosts = append([]string(nil), hosts...)
	f.sel.host, f.sel.hostSince = 0, time.Time{}
	f.sel.hostGen++
	return nil
}

// SetProxies replaces the proxy chain (regular and fallback groups, "auto"
// must be resolved) and starts again at the primary group (cvmfs_talk
// proxy set).
func (f *Fetcher) SetProxies(regular, fallback [][]string) error {
	if hasAuto(regular) || hasAuto(fallback) {
		return fmt.Errorf("%w: proxy group \"auto\" must be resolved first (fetch.ResolveAuto)", ErrBadConfig)
	}
	f.sel.mu.Lock()
	defer f.sel.mu.Unlock()
	f.sel.groups = chain(regular, fallback)
	f.sel.groupSince = time.Time{}
	f.sel.enterGroup(0)
	return nil
}
