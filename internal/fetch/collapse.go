package fetch

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
)

// freeSpool bytes of every download are recorded even without waiters;
// beyond, recording continues (up to SpoolLimit) only if a waiter joined.
const freeSpool = 1 << 20

// flight is one download shared by concurrent Gets of the same path.
type flight struct {
	done  chan struct{}
	err   error
	spool []byte
	full  bool // spool holds the whole body
	// waiters joined before done; read by the recorder.
	waiters atomic.Int32
}

type flights struct {
	mu sync.Mutex
	m  map[string]*flight
}

// collapsed runs Get with request collapsing: the first caller downloads
// and records the body (1 MiB always, up to SpoolLimit once somebody
// waits); callers arriving meanwhile wait and verify the recorded copy
// with their own Verifier.
func (f *Fetcher) collapsed(ctx context.Context, relPath string, v Verifier) error {
	f.flights.mu.Lock()
	if fl, ok := f.flights.m[relPath]; ok {
		fl.waiters.Add(1)
		f.flights.mu.Unlock()
		return f.follow(ctx, fl, relPath, v)
	}
	fl := &flight{done: make(chan struct{})}
	f.flights.m[relPath] = fl
	f.flights.mu.Unlock()

	rec := newRecorder(fl, f.cfg.SpoolLimit)
	fl.err = f.do(ctx, relPath, func(r io.Reader) error {
		rec.reset()
		return v(io.TeeReader(r, rec))
	})

	f.flights.mu.Lock()
	delete(f.flights.m, relPath)
	f.flights.mu.Unlock()
	// Waiters join under the lock: none can come now. Without any, the
	// recording goes back to the pool instead of to the flight.
	if fl.waiters.Load() == 0 {
		rec.release()
	} else {
		fl.spool, fl.full = rec.buf, !rec.over
	}
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

// recorder keeps the body written through it: always up to free bytes,
// up to limit if the flight has waiters; beyond, it drops everything.
// Its first free bytes go into a pooled buffer: growing a fresh slice for
// every download (most have no waiter and drop the recording) was half of
// the client's CPU time while it streamed a boot pack, and fresh memory
// costs page faults and clearing under emulation.
type recorder struct {
	buf         []byte
	pooled      *[]byte
	free, limit int64
	over        bool
	fl          *flight
}

// spools holds buffers of freeSpool bytes capacity.
var spools = sync.Pool{New: func() any { b := make([]byte, 0, freeSpool); return &b }}

func newRecorder(fl *flight, limit int64) *recorder {
	r := &recorder{limit: limit, free: min(freeSpool, limit), fl: fl}
	if r.free == freeSpool {
		r.pooled = spools.Get().(*[]byte)
		r.buf = (*r.pooled)[:0]
	}
	return r
}

func (r *recorder) reset() {
	r.over, r.buf = false, r.buf[:0]
	if r.pooled != nil { // (the buffer may have grown past it for a waiter)
		r.buf = (*r.pooled)[:0]
	}
}

// release returns the pooled buffer; the recording is gone.
func (r *recorder) release() {
	if r.pooled != nil {
		spools.Put(r.pooled)
		r.pooled = nil
	}
	r.buf = nil
}

func (r *recorder) Write(p []byte) (int, error) {
	if !r.over {
		n := int64(len(r.buf) + len(p))
		if n > r.limit || (n > r.free && r.fl.waiters.Load() == 0) {
			r.over, r.buf = true, nil
		} else {
			r.buf = append(r.buf, p...)
		}
	}
	return len(p), nil
}
