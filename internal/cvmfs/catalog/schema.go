package catalog

import "strconv"

// CounterNames are the 12 statistics counters; each exists as self_ and subtree_.
var CounterNames = []string{"regular", "symlink", "special", "dir", "nested", "chunked",
	"chunks", "file_size", "chunked_size", "xattr", "external", "external_file_size"}

// Counters holds statistics counter values by name without prefix.
type Counters map[string]int64

// Add adds every counter of o to c.
func (c Counters) Add(o Counters) {
	for k, v := range o {
		c[k] += v
	}
}

// Current schema written by this package.
const (
	SchemaVersion  = "2.5"
	SchemaRevision = 7
	DefaultTTL     = 240
)

// Itoa is strconv.FormatInt for properties.
func Itoa(v int64) string { return strconv.FormatInt(v, 10) }
