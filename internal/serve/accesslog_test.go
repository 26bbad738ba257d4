package serve

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestAccessLogFlushes: lines reach the writer within the interval without
// Close, and everything is there after Close.
func TestAccessLogFlushes(t *testing.T) {
	var out lockedBuf
	l := NewAccessLog(&out, 20*time.Millisecond)
	l.Write([]byte("one\n"))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "one") {
		if time.Now().After(deadline) {
			t.Fatal("line not flushed by the timer")
		}
		time.Sleep(5 * time.Millisecond)
	}
	l.Write([]byte("two\n"))
	l.Close()
	if out.String() != "one\ntwo\n" {
		t.Fatalf("%q", out.String())
	}
}
