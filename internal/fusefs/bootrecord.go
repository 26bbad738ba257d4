package fusefs

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Bounds of one boot's record: beyond them, nothing more is recorded (the
// layer then holds the first files only; the rest stays on the mount).
const (
	recordMaxFiles = 50_000
	recordMaxBytes = 1 << 30
)

// bootRecord collects what the kernel asked of the mount while it booted
// an OS from it: the paths whose content was read (READ, or stored in the
// page cache ahead of the reader), the symlinks whose target was read and
// the names that were looked up and do not exist. A boot layer
// (bootlayer.go) is written from it.
type bootRecord struct {
	on       atomic.Bool // checked without the lock: READs after the record ended cost nothing
	mu       sync.Mutex
	read     map[string]struct{}
	negative map[string]struct{}
	bytes    int64
}

func newBootRecord(on bool) *bootRecord {
	r := &bootRecord{read: map[string]struct{}{}, negative: map[string]struct{}{}}
	r.on.Store(on)
	return r
}

// noteRead records the content (or symlink target) of n as used.
func (r *bootRecord) noteRead(n *node) {
	if r == nil || n.ent == nil || !r.on.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.on.Load() || len(r.read) >= recordMaxFiles {
		return
	}
	if _, ok := r.read[n.path]; ok {
		return
	}
	if r.bytes+n.ent.Size > recordMaxBytes {
		return
	}
	r.read[n.path] = struct{}{}
	r.bytes += max(n.ent.Size, 0)
}

// noteMissing records a lookup of a name that does not exist.
func (r *bootRecord) noteMissing(path string) {
	if r == nil || !r.on.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on.Load() && len(r.negative) < recordMaxFiles {
		r.negative[path] = struct{}{}
	}
}

// recording reports whether the record is on.
func (r *bootRecord) recording() bool { return r != nil && r.on.Load() }

// stop ends the recording and returns what was recorded, sorted.
func (r *bootRecord) stop() (read, negative []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on.Store(false)
	return sortedKeys(r.read), sortedKeys(r.negative)
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
