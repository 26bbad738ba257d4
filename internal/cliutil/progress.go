package cliutil

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether w is a terminal (TCGETS succeeds).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Counter shows the progress of work on a known number of items: on a
// terminal one line updated in place, elsewhere (a log) a plain line at
// most every LogEvery and the last one, without control characters.
type Counter struct {
	w     io.Writer
	label string
	tty   bool
	mu    sync.Mutex
	last  time.Time
	open  bool // a terminal line without its newline yet
}

// LogEvery is how often a Counter writes a line to a log.
const LogEvery = 10 * time.Second

// NewCounter returns a Counter writing "label done/total" to w.
func NewCounter(w io.Writer, label string) *Counter {
	return &Counter{w: w, label: label, tty: IsTerminal(w), last: time.Now()}
}

// Update reports that done of total items are finished; done == total
// ends the display with a newline.
func (c *Counter) Update(done, total int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now, final := time.Now(), done >= total
	switch {
	case c.tty && (final || now.Sub(c.last) >= 100*time.Millisecond):
		fmt.Fprintf(c.w, "\r\033[K%s %d/%d", c.label, done, total)
		c.open = !final
		if final {
			fmt.Fprintln(c.w)
		}
	case !c.tty && (final || now.Sub(c.last) >= LogEvery):
		fmt.Fprintf(c.w, "%s %d/%d\n", c.label, done, total)
	default:
		return
	}
	c.last = now
}

// Stop ends a terminal line the work left unfinished (on an error), so
// that what follows starts on a line of its own.
func (c *Counter) Stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open {
		fmt.Fprintln(c.w)
		c.open = false
	}
}
