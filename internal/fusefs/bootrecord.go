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
// page cache ahead of the reader), the symlinks whose target was read,
// the names that were looked up and do not exist, the directories that
// were listed and the files and symlinks that were looked up (found). A
// boot layer (bootlayer.go) is written from it.
type bootRecord struct {
	on       atomic.Bool // checked without the lock: READs after the record ended cost nothing
	mu       sync.Mutex
	read     map[string]struct{}
	negative map[string]struct{}
	listed   map[string]struct{}
	found    map[string]struct{}
	bytes    int64
}

// recorded is what a boot record holds when it ends, each list sorted.
type recorded struct {
	read, missing, listed, found []string
}

func (r recorded) empty() bool {
	return len(r.read)+len(r.missing)+len(r.listed)+len(r.found) == 0
}

func newBootRecord(on bool) *bootRecord {
	r := &bootRecord{read: map[string]struct{}{}, negative: map[string]struct{}{},
		listed: map[string]struct{}{}, found: map[string]struct{}{}}
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
func (r *bootRecord) noteMissing(path string) { r.notePath(r.negativeSet, path) }

// noteListed records a directory whose entries were read.
func (r *bootRecord) noteListed(path string) { r.notePath(r.listedSet, path) }

// noteFound records a lookup that found a file or symlink.
func (r *bootRecord) noteFound(path string) { r.notePath(r.foundSet, path) }

func (r *bootRecord) negativeSet() map[string]struct{} { return r.negative }
func (r *bootRecord) listedSet() map[string]struct{}   { return r.listed }
func (r *bootRecord) foundSet() map[string]struct{}    { return r.found }

// notePath adds path to the set set() returns, within the record's bounds.
func (r *bootRecord) notePath(set func() map[string]struct{}, path string) {
	if r == nil || !r.on.Load() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := set(); r.on.Load() && len(m) < recordMaxFiles {
		m[path] = struct{}{}
	}
}

// recording reports whether the record is on.
func (r *bootRecord) recording() bool { return r != nil && r.on.Load() }

// stop ends the recording and returns what was recorded.
func (r *bootRecord) stop() recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on.Store(false)
	return recorded{read: sortedKeys(r.read), missing: sortedKeys(r.negative),
		listed: sortedKeys(r.listed), found: sortedKeys(r.found)}
}

func sortedKeys(m map[string]struct{}) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
