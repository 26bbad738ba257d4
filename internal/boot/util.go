package boot

import (
	"os"
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
