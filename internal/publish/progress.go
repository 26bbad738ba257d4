package publish

import (
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/ucvm/ucvm/internal/cliutil"
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
	tty := cliutil.IsTerminal(w)
	every, prefix, clear := time.Second, "\r  ", "\r\033[K"
	if !tty { // logs get a plain line every 10 s and no control characters
		every, prefix, clear = 10*time.Second, "  ", ""
	}
	t := time.NewTicker(every)
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
				fmt.Fprintf(w, "%s%d files, %.1f MB read, %.0f files/s, %.1f MB/s   ", prefix, files, float64(b)/1e6, float64(files)/secs, float64(b)/1e6/secs)
				if !tty {
					fmt.Fprintln(w)
				}
			}
		}
	}()
	p.stop = func() {
		close(p.done)
		<-finished
		fmt.Fprint(w, clear)
	}
	return p
}
