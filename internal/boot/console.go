package boot

import (
	"fmt"
	"io"
	"sync"
)

// Console prints the µCernVM style progress lines: "[INF] text" without a
// newline, completed by " check", " failed" or an info word.
type Console struct {
	mu   sync.Mutex
	w    io.Writer
	open bool // an [INF] line waits for its result
}

// NewConsole returns a console writing to w.
func NewConsole(w io.Writer) *Console { return &Console{w: w} }

func (c *Console) closeLine() {
	if c.open {
		fmt.Fprint(c.w, "\n")
		c.open = false
	}
}

// Banner prints the welcome lines with the bootloader version.
func (c *Console) Banner(version string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLine()
	fmt.Fprintf(c.w, "\n* Welcome to micro-CernVM (ucvm bootloader %s)\n* Release %s\n\n", version, version)
}

// Start begins a step line "[INF] text".
func (c *Console) Start(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLine()
	fmt.Fprintf(c.w, "[INF] "+format, args...)
	c.open = true
}

// OK completes the step line with " check".
func (c *Console) OK() { c.Result("check") }

// Fail completes the step line with " failed".
func (c *Console) Fail() { c.Result("failed") }

// Result completes the step line with " word".
func (c *Console) Result(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.w, " "+format+"\n", args...)
	c.open = false
}

// Info prints a complete "[INF] ..." line.
func (c *Console) Info(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLine()
	fmt.Fprintf(c.w, "[INF] "+format+"\n", args...)
}

// Warn prints a "[WRN] ..." line.
func (c *Console) Warn(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLine()
	fmt.Fprintf(c.w, "[WRN] "+format+"\n", args...)
}

// Error prints an "[ERR] ..." line.
func (c *Console) Error(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLine()
	fmt.Fprintf(c.w, "[ERR] "+format+"\n", args...)
}

// Raw prints text as is (closing an open step line first).
func (c *Console) Raw(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closeLine()
	fmt.Fprint(c.w, text)
}
