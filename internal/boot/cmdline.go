package boot

import (
	"os"
	"strings"
)

// Cmdline is the parsed kernel command line. Later occurrences of a key win,
// as for the original's `for p in $(cat /proc/cmdline)` loop.
type Cmdline struct {
	vals  map[string]string
	flags map[string]bool
}

// ParseCmdline splits a kernel command line into key=value pairs and flags.
// Double quotes group words as the kernel does ("a b" stays one value).
func ParseCmdline(s string) Cmdline {
	c := Cmdline{vals: map[string]string{}, flags: map[string]bool{}}
	for _, f := range splitCmdline(s) {
		if k, v, ok := strings.Cut(f, "="); ok {
			c.vals[k] = v
		} else if f != "" {
			c.flags[f] = true
		}
	}
	return c
}

func splitCmdline(s string) []string {
	var out []string
	var cur strings.Builder
	inq, have := false, false
	for _, r := range s {
		switch {
		case r == '"':
			inq, have = !inq, true
		case !inq && (r == ' ' || r == '\t' || r == '\n'):
			if have {
				out = append(out, cur.String())
				cur.Reset()
				have = false
			}
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if have {
		out = append(out, cur.String())
	}
	return out
}

// ReadCmdline reads and parses the command line file (an empty one on error).
func ReadCmdline(path string) Cmdline {
	b, _ := os.ReadFile(path)
	return ParseCmdline(string(b))
}

// Get returns the value of key or "".
func (c Cmdline) Get(key string) string { return c.vals[key] }

// Lookup returns the value of key and whether it was present.
func (c Cmdline) Lookup(key string) (string, bool) {
	v, ok := c.vals[key]
	return v, ok
}

// Has reports whether the flag (a word without '=') or key is present.
func (c Cmdline) Has(name string) bool {
	if c.flags[name] {
		return true
	}
	_, ok := c.vals[name]
	return ok
}
