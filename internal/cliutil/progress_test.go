package cliutil

import (
	"bytes"
	"testing"
)

// TestCounterLog: written to a log (not a terminal), a Counter writes no
// control characters and, for quick work, only the final line.
func TestCounterLog(t *testing.T) {
	var b bytes.Buffer
	if IsTerminal(&b) {
		t.Fatal("a buffer is not a terminal")
	}
	c := NewCounter(&b, "staging")
	for i := 1; i <= 100; i++ {
		c.Update(i, 100)
	}
	if got := b.String(); got != "staging 100/100\n" {
		t.Fatalf("log output %q, want the final line only", got)
	}
}
