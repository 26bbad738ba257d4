package serve

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// AccessLog buffers log lines for w and writes them out at least every
// interval and on Close: one write system call per batch instead of one
// per request (as Apache buffers its access log).
type AccessLog struct {
	mu   sync.Mutex
	bw   *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewAccessLog starts the periodic flush (interval ≤ 0: 500 ms).
func NewAccessLog(w io.Writer, interval time.Duration) *AccessLog {
	if interval <= 0 {
		interval = 500 * time.Millisecond
	}
	l := &AccessLog{bw: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go l.loop(interval)
	return l
}

func (l *AccessLog) loop(interval time.Duration) {
	defer close(l.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.Flush()
		case <-l.stop:
			l.Flush()
			return
		}
	}
}

// Write buffers p (a whole line from slog).
func (l *AccessLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bw.Write(p)
}

// Flush writes out what is buffered.
func (l *AccessLog) Flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bw.Flush()
}

// Close stops the periodic flush and writes out the rest.
func (l *AccessLog) Close() error {
	close(l.stop)
	<-l.done
	return nil
}
