package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/reader"
)

// Background writes (reader.MemCache): a verified object handed over by
// Put is served from memory while a small pool of writers stores it like
// any other insert (txn/ temporary file, size check, rename), so a crash
// never leaves a partial object under its final name. The entry counts
// against the quota and cannot be evicted until it is on disk.
const (
	writers         = 2
	maxPendingBytes = 64 << 20 // beyond: Put writes synchronously
	writeQueue      = 1024
)

// pendingObject is an object accepted by Put and not yet on disk.
type pendingObject struct {
	data   []byte
	info   reader.ObjectInfo
	h      hash.Hash
	done   chan struct{} // closed once written (or failed)
	queued time.Time
}

var _ reader.MemCache = (*Cache)(nil)

// Put implements reader.MemCache.
func (c *Cache) Put(h hash.Hash, info reader.ObjectInfo, data []byte) {
	key := h.String()
	if len(key) < 3 {
		return
	}
	c.mu.Lock()
	if e := c.entries[key]; e != nil || c.pending[key] != nil {
		if e != nil {
			c.touch(e)
		}
		c.mu.Unlock()
		return
	}
	info.Size = int64(len(data))
	c.reserve(info.Size)
	c.add(key, info.Size, info.Kind, info.Description)
	c.refs[key]++ // not evictable before it is on disk
	p := &pendingObject{data: data, info: info, h: h, done: make(chan struct{}), queued: time.Now()}
	c.lastUse.Store(p.queued.UnixNano())
	c.pending[key] = p
	async := !c.closed && c.pendingBytes+info.Size <= c.maxPendingLocked()
	if async {
		c.pendingBytes += info.Size
		c.startWritersLocked()
		select {
		case c.queue <- p:
		default:
			c.pendingBytes -= info.Size
			async = false
		}
	}
	c.mu.Unlock()
	if !async {
		c.writePending(p, false)
	}
}

// maxPendingLocked is the budget of objects waiting in memory: 64 MiB, at
// most a quarter of the quota (c.mu held).
func (c *Cache) maxPendingLocked() int64 {
	if c.limit > 0 {
		return min(maxPendingBytes, c.limit/4)
	}
	return maxPendingBytes
}

// startWritersLocked starts the writer pool on the first Put (c.mu held).
func (c *Cache) startWritersLocked() {
	if c.queue != nil {
		return
	}
	q := make(chan *pendingObject, writeQueue)
	c.queue = q
	for range writers {
		c.writersWG.Add(1)
		go func() { // q, not c.queue: drainWriters clears the field
			defer c.writersWG.Done()
			for p := range q {
				c.awaitQuiet(p)
				c.writePending(p, true)
			}
		}()
	}
}

// Write-behind (Options.WriteBehind): a writer holds an object until the
// cache has not been used for quietPeriod, the object has waited
// WriteBehind, half the memory budget is pending, or the cache closes.
// During a cold boot the CPU is busy serving the boot, and writing its 20+
// MB to disk then cost 15 % of the client's CPU under emulation; after the
// boot the same writes cost nothing anyone waits for.
const (
	quietPeriod = time.Second
	// MemWriteBehindMax: objects up to this size are served from memory
	// with write-behind (the client keeps up to 64 files open: ≤ 128 MB).
	MemWriteBehindMax = 2 << 20
)

// MemObjectLimit implements reader.MemLimiter.
func (c *Cache) MemObjectLimit() int64 {
	if c.writeBehind > 0 {
		return MemWriteBehindMax
	}
	return reader.MemObjectMax
}

func (c *Cache) awaitQuiet(p *pendingObject) {
	if c.writeBehind <= 0 {
		return
	}
	for {
		c.mu.Lock()
		done := c.closed || c.pendingBytes > c.maxPendingLocked()/2
		c.mu.Unlock()
		idle := time.Since(time.Unix(0, c.lastUse.Load()))
		if done || idle >= quietPeriod || time.Since(p.queued) >= c.writeBehind {
			return
		}
		time.Sleep(min(quietPeriod-idle, 200*time.Millisecond))
	}
}

// writePending stores p through a regular transaction and ends its pending
// state; on failure the entry is forgotten (the copy in memory was served).
func (c *Cache) writePending(p *pendingObject, queued bool) {
	err := c.writeObject(p)
	key := p.h.String()
	c.mu.Lock()
	delete(c.pending, key)
	if queued {
		c.pendingBytes -= p.info.Size
	}
	if c.refs[key]--; c.refs[key] <= 0 {
		delete(c.refs, key)
	}
	if err != nil {
		if e := c.entries[key]; e != nil {
			c.drop(e)
		}
	}
	if c.limit > 0 && c.used > c.limit { // over quota while objects were pending
		c.evictTo(c.limit / 2)
	}
	c.mu.Unlock()
	close(p.done)
	if err != nil {
		c.log.Warn("cannot write object to the cache (it was served from memory)", "key", key, "err", err)
	}
}

func (c *Cache) writeObject(p *pendingObject) error {
	t, err := c.Create(p.h, p.info)
	if err != nil {
		return err
	}
	if _, err := t.Write(p.data); err != nil {
		t.Abort()
		return err
	}
	return t.Commit()
}

// waitPending waits until an object accepted by Put is on disk (or its
// write failed).
func (c *Cache) waitPending(key string) {
	c.mu.Lock()
	p := c.pending[key]
	c.mu.Unlock()
	if p != nil {
		<-p.done
	}
}

// drainWriters stops the writer pool after the queued objects are written.
func (c *Cache) drainWriters() {
	c.mu.Lock()
	c.closed = true
	q := c.queue
	c.queue = nil
	c.mu.Unlock()
	if q != nil {
		close(q)
	}
	c.writersWG.Wait()
}

// OpenObject implements reader.MemCache: objects being written are served
// from memory; objects the index does not know are a miss without a
// system call (the index is complete: loaded or rebuilt by a scan at Open,
// and this process is the only writer of the directory).
func (c *Cache) OpenObject(h hash.Hash) (reader.Object, error) {
	c.lastUse.Store(time.Now().UnixNano())
	key := h.String()
	c.mu.Lock()
	if p := c.pending[key]; p != nil {
		c.stats.Hits++
		if e := c.entries[key]; e != nil {
			c.touch(e)
		}
		c.mu.Unlock()
		return reader.MemObject(p.data), nil
	}
	if c.entries[key] == nil {
		c.stats.Misses++
		c.mu.Unlock()
		return nil, fmt.Errorf("%w: %s", reader.ErrNotCached, key)
	}
	c.mu.Unlock()
	f, err := openRaw(c.path(key))
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[key]
	if err != nil {
		c.stats.Misses++
		if e != nil && errors.Is(err, fs.ErrNotExist) && c.pending[key] == nil {
			c.drop(e) // deleted behind our back
		}
		return nil, fmt.Errorf("%w: %s", reader.ErrNotCached, key)
	}
	c.stats.Hits++
	if e != nil {
		c.touch(e)
	}
	return f, nil
}
