package publish

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// progress prints files, bytes and rate once per second while running.
type progress struct {
	done chan struct{}
	stop func()
}

func startProgress(w io.Writer, s *Stats) *progress {
	p := &progress{done: make(chan struct{})}
	if w == nil {
		p.stop = func() {}
		return p
	}
	start := time.Now()
	t := time.NewTicker(time.Second)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-p.done:
				t.Stop()
				return
			case <-t.C:
				files := atomic.LoadInt64(&s.Files) + atomic.LoadInt64(&s.FilesReused)
				b := atomic.LoadInt64(&s.Bytes)
				secs := time.Since(start).Seconds()
				fmt.Fprintf(w, "\r  %d files, %.1f MB read, %.0f files/s, %.1f MB/s   ", files, float64(b)/1e6, float64(files)/secs, float64(b)/1e6/secs)
			}
		}
	}()
	p.stop = func() {
		close(p.done)
		<-finished
		fmt.Fprint(w, "\r\033[K")
	}
	return p
}
