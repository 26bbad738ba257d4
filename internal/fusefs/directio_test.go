package fusefs

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"testing/iotest"
)

// TestWriteDirect: whole blocks, a tail that is not, and a head; the file
// holds exactly the bytes (on a file system with or without O_DIRECT).
func TestWriteDirect(t *testing.T) {
	for _, n := range []int{0, 4096, directBuf, directBuf + 4096, 3*directBuf + 1234} {
		data := make([]byte, n)
		rand.New(rand.NewSource(int64(n))).Read(data)
		head := []byte("HEAD")
		p := filepath.Join(t.TempDir(), "img")
		got, err := writeDirect(p, head, bytes.NewReader(data))
		if err != nil || got != int64(n+len(head)) {
			t.Fatalf("n=%d: wrote %d, %v", n, got, err)
		}
		b, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(b, append(head, data...)) {
			t.Fatalf("n=%d: content differs (%d bytes, %v)", n, len(b), err)
		}
	}
}

// TestCopyAlignedErrors: a failing writer (a full disk) and a failing
// reader both end the copy with their error, without a stuck goroutine.
func TestCopyAlignedErrors(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer full.Close()
	src := io.LimitReader(rand.New(rand.NewSource(1)), 5*directBuf)
	if _, err := copyAligned(full, src, false); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("writing to a full disk: %v", err)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "img"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	boom := errors.New("network gone")
	r := io.MultiReader(io.LimitReader(rand.New(rand.NewSource(2)), 3*directBuf+10), iotest.ErrReader(boom))
	if _, err := copyAligned(f, r, false); !errors.Is(err, boom) {
		t.Fatalf("a failing reader: %v", err)
	}
}
