package cache

import (
	"errors"
	"io/fs"
	"os"

	"github.com/ucvm/ucvm/internal/reader"
)

// Usage describes the cache's occupancy.
type Usage struct {
	Dir                  string
	UsedBytes, Limit     int64
	PinnedBytes          int64 // user pins and catalogs in use
	Entries, PinnedPaths int
	Stats                Stats
}

// Usage returns the current occupancy.
func (c *Cache) Usage() Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	u := Usage{Dir: c.dir, UsedBytes: c.used, Limit: c.limit, Entries: len(c.entries),
		PinnedPaths: len(c.pins), Stats: c.stats}
	for _, e := range c.entries {
		if c.isPinned(e) {
			u.PinnedBytes += e.size
		}
	}
	return u
}

// add inserts a new entry at the front of the LRU list (c.mu held).
func (c *Cache) add(key string, size int64, kind reader.ObjectKind, desc string) *entry {
	if e := c.entries[key]; e != nil {
		c.touch(e)
		return e
	}
	c.seq++
	e := &entry{key: key, size: size, seq: c.seq, kind: kind, desc: desc}
	e.elem = c.lru.PushFront(e)
	c.entries[key] = e
	c.used += size
	return e
}

// touch marks e most recently used (c.mu held).
func (c *Cache) touch(e *entry) {
	c.seq++
	e.seq = c.seq
	c.lru.MoveToFront(e.elem)
}

// drop forgets e without touching the disk (c.mu held).
func (c *Cache) drop(e *entry) {
	c.lru.Remove(e.elem)
	delete(c.entries, e.key)
	c.used -= e.size
}

func (c *Cache) isPinned(e *entry) bool {
	return e.catPinned || c.pinned[e.key] > 0
}

// evictable reports whether e may be deleted now (c.mu held).
func (c *Cache) evictable(e *entry) bool {
	return !c.isPinned(e) && c.refs[e.key] == 0
}

// reserve makes room for size more bytes under the quota, evicting LRU
// entries down to half the limit when the limit would be exceeded (c.mu held).
// It never fails: when only pinned or open entries remain the cache
// temporarily exceeds its quota (logged) rather than failing valid reads.
func (c *Cache) reserve(size int64) {
	if c.limit <= 0 || c.used+size <= c.limit {
		return
	}
	c.evictTo(c.limit / 2)
	if c.used+size > c.limit {
		c.evictTo(c.limit - size)
	}
	if c.used+size > c.limit {
		c.log.Warn("cache over quota: remaining entries are pinned or open",
			"used", c.used, "adding", size, "limit", c.limit)
	}
}

// evictTo deletes LRU evictable entries until used <= target; it reports
// whether something was deleted (c.mu held).
func (c *Cache) evictTo(target int64) bool {
	evicted := false
	for el := c.lru.Back(); el != nil && c.used > target; {
		e := el.Value.(*entry)
		el = el.Prev()
		if !c.evictable(e) {
			continue
		}
		if err := os.Remove(c.path(e.key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			c.log.Warn("cannot evict cache object", "key", e.key, "err", err)
			continue
		}
		c.drop(e)
		c.stats.Evictions++
		c.stats.EvictedBytes += e.size
		evicted = true
	}
	return evicted
}

// Cleanup evicts unpinned, unopened entries until at most target bytes are
// used; it returns the usage afterwards.
func (c *Cache) Cleanup(target int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.evictTo(target)
	return c.used
}

// evictForSpace frees space after ENOSPC: a quarter of the current usage or
// at least one entry. It reports whether anything was freed.
func (c *Cache) evictForSpace() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.evictTo(c.used - c.used/4 - 1)
}
