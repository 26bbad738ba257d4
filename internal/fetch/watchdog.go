package fetch

import (
	"io"
	"sync/atomic"
	"time"
)

// watchdog aborts an attempt that moves fewer than min bytes in a window
// (curl's CONNECTTIMEOUT + LOW_SPEED_LIMIT/LOW_SPEED_TIME). The window
// starts before connecting, so connect, headers and body are all covered.
type watchdog struct {
	n      atomic.Int64
	min    int64
	window time.Duration
	fire   func()
	t      *time.Timer
	done   atomic.Bool
}

func newWatchdog(window time.Duration, bytesPerSec int64, fire func()) *watchdog {
	w := &watchdog{window: window, fire: fire}
	w.min = int64(float64(bytesPerSec) * window.Seconds())
	if w.min < 1 {
		w.min = 1
	}
	w.t = time.AfterFunc(window, w.check)
	return w
}

func (w *watchdog) check() {
	if w.done.Load() {
		return
	}
	if w.n.Swap(0) < w.min {
		w.fire()
		return
	}
	w.t.Reset(w.window)
}

func (w *watchdog) add(n int) { w.n.Add(int64(n)) }

func (w *watchdog) stop() {
	w.done.Store(true)
	w.t.Stop()
}

// body wraps a response body: it feeds the watchdog, counts bytes and
// remembers the first read error so that network errors are told apart
// from the Verifier's own errors.
type body struct {
	r   io.Reader
	wd  *watchdog
	n   int64
	err error
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.wd != nil {
		b.wd.add(n)
	}
	if err != nil && err != io.EOF && b.err == nil {
		b.err = err
	}
	return n, err
}
