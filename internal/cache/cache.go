package cache

import (
	"container/list"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/reader"
)

// Sentinel errors callers branch on.
var (
	// ErrCacheFull: the disk is full and nothing more can be evicted.
	ErrCacheFull = errors.New("cache full: nothing evictable left")
	// ErrLocked: another process owns the cache directory.
	ErrLocked = errors.New("cache directory in use by another process")
)

// Options configure a Cache.
type Options struct {
	// QuotaBytes is the size limit; <= 0 means unmanaged (no eviction).
	QuotaBytes int64
	// LockWait is how long Open waits for another process to release the
	// directory (a remount racing the old daemon's exit). Default 5 s.
	LockWait time.Duration
	// WriteBehind holds the background writes of objects served from
	// memory while the cache is busy (a cold boot), at most this long, and
	// serves objects of up to MemWriteBehindMax bytes from memory
	// (async.go). 0: objects are written at once.
	WriteBehind time.Duration
	Logger      *slog.Logger
}

// Cache is a content-addressed object store; it implements reader.ObjectCache.
type Cache struct {
	dir  string
	log  *slog.Logger
	lock *os.File

	mu      sync.Mutex
	limit   int64
	used    int64
	seq     uint64
	entries map[string]*entry
	lru     *list.List // front = most recently used
	refs    map[string]int
	pins    map[string][]string // user pins: path -> object keys
	pinned  map[string]int      // object key -> number of user pins
	stats   Stats

	pending      map[string]*pendingObject // accepted by Put, being written
	pendingBytes int64                     // of pending objects in the queue
	queue        chan *pendingObject       // nil until the first Put
	closed       bool                      // Close started: Put writes synchronously
	writersWG    sync.WaitGroup
	writeBehind  time.Duration
	lastUse      atomic.Int64 // unix nanoseconds of the last Put/OpenObject
}

type entry struct {
	key       string
	size      int64
	seq       uint64
	kind      reader.ObjectKind
	desc      string
	catPinned bool // catalog in use by this process
	elem      *list.Element
}

// Stats counts cache activity since Open.
type Stats struct {
	Hits, Misses, Inserts, Evictions int64
	EvictedBytes                     int64
}

var _ reader.ObjectCache = (*Cache)(nil)

// Open opens (creating if needed) the cache in dir, cleans leftovers of
// crashed writers in txn/ and loads or rebuilds the LRU index.
func Open(dir string, o Options) (*Cache, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.LockWait == 0 {
		o.LockWait = 5 * time.Second
	}
	if err := os.MkdirAll(filepath.Join(dir, "txn"), 0o700); err != nil {
		return nil, fmt.Errorf("create cache directory %s: %w (set CVMFS_CACHE_BASE to a writable place)", dir, err)
	}
	lock, err := lockDir(dir, o.LockWait)
	if err != nil {
		return nil, err
	}
	c := &Cache{dir: dir, log: o.Logger, lock: lock, limit: o.QuotaBytes, writeBehind: o.WriteBehind,
		entries: map[string]*entry{}, lru: list.New(), refs: map[string]int{},
		pins: map[string][]string{}, pinned: map[string]int{}, pending: map[string]*pendingObject{}}
	if err := c.cleanTxn(); err != nil {
		lock.Close()
		return nil, err
	}
	if err := c.loadIndex(); err != nil {
		c.log.Info("cache index missing or unclean, rebuilding by scan", "dir", dir, "reason", err)
		if err := c.scan(); err != nil {
			lock.Close()
			return nil, err
		}
	}
	if err := c.loadPins(); err != nil {
		c.log.Warn("ignoring unreadable pin list", "err", err)
	}
	return c, nil
}

// lockDir takes an exclusive flock on dir/lock_cachedb, waiting up to wait.
func lockDir(dir string, wait time.Duration) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock_cachedb"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open cache lock: %w", err)
	}
	deadline := time.Now().Add(wait)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("%w: %s (unmount the other repository or give this one its own CVMFS_CACHE_BASE)", ErrLocked, dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Dir returns the cache directory.
func (c *Cache) Dir() string { return c.dir }

// Close writes the objects still queued, saves the LRU index (marking it
// clean) and releases the directory.
func (c *Cache) Close() error {
	c.drainWriters()
	c.mu.Lock()
	if c.lock == nil {
		c.mu.Unlock()
		return nil
	}
	err := c.saveIndex()
	c.mu.Unlock()
	if c.lock != nil {
		c.lock.Close()
		c.lock = nil
	}
	return err
}

// path returns the file name of an object key.
func (c *Cache) path(key string) string {
	return filepath.Join(c.dir, key[:2], key[2:])
}

// Open returns the cached object or an error wrapping reader.ErrNotCached.
func (c *Cache) Open(h hash.Hash) (*os.File, error) {
	key := h.String()
	if len(key) < 3 {
		return nil, fmt.Errorf("%w: empty hash", reader.ErrNotCached)
	}
	c.waitPending(key)
	f, err := os.Open(c.path(key))
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.stats.Misses++
		if e := c.entries[key]; e != nil && errors.Is(err, fs.ErrNotExist) {
			c.drop(e)
		}
		return nil, fmt.Errorf("%w: %s", reader.ErrNotCached, key)
	}
	c.stats.Hits++
	e := c.entries[key]
	if e == nil { // present on disk but unknown (index rebuilt lazily)
		if st, serr := f.Stat(); serr == nil {
			e = c.add(key, st.Size(), reader.KindRegular, "")
		}
	}
	if e != nil {
		c.touch(e)
		if e.kind == reader.KindCatalog {
			e.catPinned = true
		}
	}
	return f, nil
}

// Contains reports whether an object is cached.
func (c *Cache) Contains(h hash.Hash) bool {
	c.waitPending(h.String())
	_, err := os.Stat(c.path(h.String()))
	return err == nil
}

// Acquire marks objects as held open: they are not evicted until Release.
func (c *Cache) Acquire(hs ...hash.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hs {
		c.refs[h.String()]++
	}
}

// Release undoes Acquire.
func (c *Cache) Release(hs ...hash.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hs {
		k := h.String()
		if c.refs[k]--; c.refs[k] <= 0 {
			delete(c.refs, k)
		}
	}
}

// UnpinCatalogs releases the in-use pins of all catalogs except keep (the
// catalogs of the currently mounted revision re-pin themselves when opened).
func (c *Cache) UnpinCatalogs(keep ...hash.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := map[string]bool{}
	for _, h := range keep {
		k[h.String()] = true
	}
	for _, e := range c.entries {
		if e.kind == reader.KindCatalog && !k[e.key] {
			e.catPinned = false
		}
	}
}
