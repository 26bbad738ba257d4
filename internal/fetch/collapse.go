package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
)

// flight is one download shared by concurrent Gets of the same path.
type flight struct {
	done  chan struct{}
	err   error
	spool []byte
	full  bool // spool holds the whole body
}

type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

// collapsed runs Get with request collapsing: the first caller downloads
// and records up to SpoolLimit bytes; callers arriving meanwhile wait and
// verify the recorded copy with their own Verifier.
func (f *Fetcher) collapsed(ctx context.Context, relPath string, v Verifier) error {
	f.flights.mu.Lock()
	if fl, ok := f.flights.m[relPath]; ok {
		f.flights.mu.Unlock()
		return f.follow(ctx, fl, relPath, v)
	}
	fl := &flight{done: make(chan struct{})}
	f.flights.m[relPath] = fl
	f.flights.mu.Unlock()

	rec := &recorder{limit: f.cfg.SpoolLimit}
	fl.err = f.do(ctx, relPath, func(r io.Reader) error {
		rec.reset()
		return v(io.TeeReader(r, rec))
	})
	fl.spool, fl.full = rec.buf, !rec.over

	f.flights.mu.Lock()
	delete(f.flights.m, relPath)
	f.flights.mu.Unlock()
	close(fl.done)
	return fl.err
}

func (f *Fetcher) follow(ctx context.Context, fl *flight, relPath string, v Verifier) error {
	select {
	case <-fl.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	switch {
	case fl.err == nil && fl.full:
		err := v(bytes.NewReader(fl.spool))
		if !errors.Is(err, ErrBadData) {
			return err
		}
		// Our Verifier disagrees with the leader's: download ourselves.
	case isFinal(fl.err):
		return fl.err
	}
	// The leader was cancelled or its Verifier failed: try ourselves.
	return f.do(ctx, relPath, v)
}

// isFinal: a failover outcome every caller would get too.
func isFinal(err error) bool {
	for _, s := range []error{ErrNotFound, ErrBadData, ErrOffline, ErrHTTP} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// recorder keeps the first limit bytes written; beyond, it drops them.
type recorder struct {
	buf   []byte
	limit int64
	over  bool
}

func (r *recorder) reset() { r.buf, r.over = r.buf[:0], false }

func (r *recorder) Write(p []byte) (int, error) {
	if !r.over {
		if int64(len(r.buf)+len(p)) > r.limit {
			r.over, r.buf = true, nil
		} else {
			r.buf = append(r.buf, p...)
		}
	}
	return len(p), nil
}
