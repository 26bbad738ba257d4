package fusefs

import (
	"bytes"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
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
