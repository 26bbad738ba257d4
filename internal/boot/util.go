package boot

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/ucvm/ucvm/internal/userdata"
)

func writeAtomic(path string, data []byte, perm os.FileMode) error {
	return userdata.WriteFileAtomic(path, data, perm)
}

// splitLines splits on newlines, trims CR and blanks and drops empty
// trailing lines.
func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		out = append(out, strings.TrimSpace(l))
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// writeExecutable writes r (at most limit bytes) to a new executable file
// dst, through a temporary file in its directory: dst appears whole or
// not at all.
func writeExecutable(dst string, r io.Reader, limit int64) error {
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".unpack-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(r, limit+1))
	if err == nil && n > limit {
		err = fmt.Errorf("more than %d bytes", limit)
	}
	if err == nil {
		err = tmp.Chmod(0o755)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	return err
}
