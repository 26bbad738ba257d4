package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
)

type proxyKey struct{}

// attempt performs one try of relPath with selection sel.
func (f *Fetcher) attempt(ctx context.Context, sel selection, relPath string, nocache bool, v Verifier) outcome {
	if dir, ok := localDir(sel.host); ok {
		return f.attemptFile(filepath.Join(dir, filepath.FromSlash(relPath)), v)
	}
	return f.attemptHTTP(ctx, sel, relPath, nocache, v)
}

// localDir reports whether host is a file:// URL or a directory path.
func localDir(host string) (string, bool) {
	if p, ok := strings.CutPrefix(host, "file://"); ok {
		return p, true
	}
	return host, strings.HasPrefix(host, "/")
}

func (f *Fetcher) attemptFile(path string, v Verifier) outcome {
	fh, err := os.Open(path)
	if err != nil {
		o := outcome{kind: kindHost, reached: true, err: err}
		o.notFound = errors.Is(err, os.ErrNotExist)
		return o
	}
	defer fh.Close()
	b := &body{r: fh}
	return f.judgeBody(context.Background(), b, v(b))
}

func (f *Fetcher) attemptHTTP(ctx context.Context, sel selection, relPath string, nocache bool, v Verifier) outcome {
	// Wait for a connection slot before the watchdog starts: time queued
	// behind other requests is not a stalled server.
	select {
	case f.slots <- struct{}{}:
	case <-ctx.Done():
		return outcome{kind: kindAbort, err: ctx.Err()}
	}
	defer func() { <-f.slots }()
	timeout := f.cfg.Timeout
	if sel.proxy == "" {
		timeout = f.cfg.TimeoutDirect
	}
	actx, cancel := context.WithCancelCause(context.WithValue(ctx, proxyKey{}, sel.proxy))
	defer cancel(nil)
	wd := newWatchdog(timeout, f.cfg.LowSpeedLimit, func() { cancel(ErrStalled) })
	defer wd.stop()
	req, err := http.NewRequestWithContext(actx, http.MethodGet, sel.host+"/"+relPath, nil)
	if err != nil {
		return outcome{kind: kindHost, err: err}
	}
	req.Header.Set("User-Agent", f.cfg.UserAgent)
	req.Header.Set("Connection", "Keep-Alive")
	if nocache {
		req.Header.Set("Pragma", "no-cache")
		req.Header.Set("Cache-Control", "no-cache")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return f.netError(ctx, actx, sel, err)
	}
	defer resp.Body.Close()
	if o, ok := classifyStatus(resp, sel); !ok {
		return o
	}
	b := &body{r: resp.Body, wd: wd}
	verr := v(b)
	if b.err != nil {
		return f.netError(ctx, actx, sel, b.err)
	}
	o := f.judgeBody(ctx, b, verr)
	if o.kind == kindOK {
		f.bytes.Add(b.n)
		// Read a short remainder so the connection can be reused.
		io.CopyN(io.Discard, resp.Body, 4096)
	}
	return o
}

// judgeBody classifies the Verifier's result.
func (f *Fetcher) judgeBody(ctx context.Context, b *body, verr error) outcome {
	switch {
	case verr == nil:
		return outcome{kind: kindOK}
	case ctx.Err() != nil:
		return outcome{kind: kindAbort, err: ctx.Err()}
	case errors.Is(verr, ErrBadData):
		return outcome{kind: kindBadData, reached: true, err: verr}
	}
	return outcome{kind: kindAbort, err: verr}
}

// netError classifies connection errors, timeouts and short transfers:
// proxy errors via a proxy, host errors when DIRECT.
func (f *Fetcher) netError(ctx, actx context.Context, sel selection, err error) outcome {
	if ctx.Err() != nil {
		return outcome{kind: kindAbort, err: ctx.Err()}
	}
	if cause := context.Cause(actx); errors.Is(cause, ErrStalled) {
		err = fmt.Errorf("%w: %v", ErrStalled, err)
	}
	k := kindHost
	where := sel.host
	if sel.proxy != "" {
		k, where = kindProxy, "proxy "+sel.proxy
	}
	return outcome{kind: k, transfer: true, err: fmt.Errorf("%s: %w", where, err)}
}

// classifyStatus maps a response status to an outcome (spec §10.4); ok is
// true for 2xx.
func classifyStatus(resp *http.Response, sel selection) (outcome, bool) {
	c := resp.StatusCode
	if c >= 200 && c < 300 {
		return outcome{}, true
	}
	o := outcome{kind: kindHost, reached: true,
		err: fmt.Errorf("%s: HTTP %s", sel.host, resp.Status)}
	switch {
	case c == 404:
		o.notFound = true
	case c == 429:
		o.transfer = true
	case c == 400 || c >= 500 || (c >= 300 && c < 400):
	case sel.proxy != "":
		o.kind = kindProxy
	}
	if sel.proxy != "" && o.kind == kindHost && proxyFailed(resp.Header) {
		o.kind, o.notFound, o.reached = kindProxy, false, false
		o.err = fmt.Errorf("proxy %s: HTTP %s (%s)", sel.proxy, resp.Status, resp.Header.Get("X-Squid-Error"))
	}
	return o, false
}

func proxyFailed(h http.Header) bool {
	return h.Get("X-Squid-Error") != "" || strings.Contains(h.Get("Proxy-Status"), "error=")
}
