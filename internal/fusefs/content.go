package fusefs

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// ErrStale: a chunked file of a revision that is no longer mounted changed
// in the mounted one; the reader has to open it again.
var ErrStale = errors.New("file changed in a newer revision")

// maxContents bounds the files kept open for reads without a handle (the
// kernel's no-open mode). Small objects are served from memory, so this
// also bounds the daemon's memory (reader.MemObjectMax, or 2 MiB with the
// cache's write-behind: at most 128 MB).
const maxContents = 64

// content is the opened content of one file for reads without a handle.
type content struct {
	n      *node
	ready  chan struct{} // closed once f/err are set
	f      File
	err    error
	snap   *snapshot
	held   hash.Hash // marked in use in the cache while open
	cancel context.CancelFunc
	users  int  // reads in progress (contents.mu)
	gone   bool // evicted; closed when users drops to 0
	elem   *list.Element
}

// contents keeps the last files read open (most recently used first): in
// no-open mode the kernel sends READs only, and a file larger than one
// read arrives as several READs.
type contents struct {
	mu  sync.Mutex
	m   map[*node]*content
	lru *list.List
}

func newContents() *contents { return &contents{m: map[*node]*content{}, lru: list.New()} }

// get returns n's content, opening it (downloading if needed) on a miss;
// the caller must put it back. Concurrent reads of one file share one open.
func (f *FS) getContent(n *node) (*content, error) {
	cs := f.contents
	cs.mu.Lock()
	if c := cs.m[n]; c != nil {
		c.users++
		cs.lru.MoveToFront(c.elem)
		cs.mu.Unlock()
		<-c.ready
		if c.err != nil {
			f.putContent(c)
			return nil, c.err
		}
		return c, nil
	}
	c := &content{n: n, ready: make(chan struct{}), users: 1}
	f.insertLocked(c)
	c.f, c.snap, c.held, c.cancel, c.err = f.openContent(n)
	if c.err != nil {
		cs.mu.Lock()
		if cs.m[n] == c {
			delete(cs.m, n)
			cs.lru.Remove(c.elem)
			c.gone = true
		}
		cs.mu.Unlock()
	}
	close(c.ready)
	if c.err != nil {
		f.putContent(c)
		return nil, c.err
	}
	return c, nil
}

// cachedOpener is implemented by trees that can open cached content
// without any network access (reader.Repo.OpenCached).
type cachedOpener interface {
	OpenCached(n *Node) (File, bool)
}

// localContent returns n's content if it is open already or can be opened
// from the local cache, else nil (then getContent, under a deadline). The
// caller must put it back.
func (f *FS) localContent(n *node) *content {
	cs := f.contents
	cs.mu.Lock()
	if c := cs.m[n]; c != nil {
		select {
		case <-c.ready:
			if c.err == nil {
				c.users++
				cs.lru.MoveToFront(c.elem)
				cs.mu.Unlock()
				return c
			}
		default:
		}
		cs.mu.Unlock()
		return nil
	}
	cs.mu.Unlock()
	if n.ent == nil {
		return nil
	}
	s := f.acquireGen(n.gen)
	if s == nil {
		return nil
	}
	co, ok := s.tree.(cachedOpener)
	var file File
	if ok {
		file, ok = co.OpenCached(n.ent)
	}
	if !ok {
		f.releaseSnap(s)
		return nil
	}
	c := &content{n: n, ready: make(chan struct{}), f: file, snap: s, cancel: func() {}, users: 1}
	close(c.ready)
	if f.cfg.Cache != nil && !n.ent.Hash.IsZero() {
		c.held = n.ent.Hash
		f.cfg.Cache.Acquire(c.held)
	}
	cs.mu.Lock()
	if cs.m[n] != nil { // opened concurrently: use the regular path
		cs.mu.Unlock()
		f.closeContent(c)
		return nil
	}
	f.insertLocked(c)
	return c
}

// insertLocked adds c as the most recently used content, closes those it
// evicts and starts the read-ahead of c's directory; it is called with the
// lock held and releases it.
func (f *FS) insertLocked(c *content) {
	cs := f.contents
	c.elem = cs.lru.PushFront(c)
	cs.m[c.n] = c
	old := cs.trimLocked(maxContents)
	cs.mu.Unlock()
	for _, o := range old {
		f.closeContent(o)
	}
	f.readAhead(c.n.path, c.n.gen)
}

// putContent ends one read; an evicted content is closed by its last user.
func (f *FS) putContent(c *content) {
	cs := f.contents
	cs.mu.Lock()
	c.users--
	closeNow := c.gone && c.users == 0
	cs.mu.Unlock()
	if closeNow {
		f.closeContent(c)
	}
}

// trimLocked evicts the least recently used contents beyond max; it returns
// those nobody reads any more (to be closed outside the lock).
func (cs *contents) trimLocked(max int) []*content {
	var out []*content
	for cs.lru.Len() > max {
		c := cs.lru.Remove(cs.lru.Back()).(*content)
		delete(cs.m, c.n)
		c.gone = true
		if c.users == 0 {
			out = append(out, c)
		}
	}
	return out
}

// closeContents closes everything (unmount).
func (f *FS) closeContents() {
	f.contents.mu.Lock()
	old := f.contents.trimLocked(0)
	f.contents.mu.Unlock()
	for _, c := range old {
		f.closeContent(c)
	}
}

func (f *FS) closeContent(c *content) {
	if c.err != nil || c.f == nil {
		return
	}
	c.cancel()
	c.f.Close()
	if f.cfg.Cache != nil && !c.held.IsZero() {
		f.cfg.Cache.Release(c.held)
	}
	f.releaseSnap(c.snap)
}

// sameContent reports whether the chunked entry e of revision gen has the
// content of ne in the mounted revision s: same revision, or the same
// whole-file hash, or (no hash recorded) the same size and mtime, which is
// what a publisher compares to decide that a file did not change.
func (f *FS) sameContent(gen uint64, e *Node, s *snapshot, ne *Node) bool {
	f.mu.RLock()
	root := f.roots[gen]
	f.mu.RUnlock()
	switch {
	case !root.IsZero() && root.Equal(s.info.RootHash):
		return true
	case !e.Hash.IsZero() || !ne.Hash.IsZero():
		return e.Hash.Equal(ne.Hash)
	}
	return e.Size == ne.Size && e.Mtime == ne.Mtime && e.MtimeNs == ne.MtimeNs
}

// openContent opens n's content in n's own revision. If that revision is
// closed already (no file of it was open while the mount moved on), whole
// files are still found by their content hash; a chunked file is opened in
// the mounted revision only if its content did not change.
func (f *FS) openContent(n *node) (File, *snapshot, hash.Hash, context.CancelFunc, error) {
	e := n.ent
	if e == nil || !e.IsRegular() {
		return nil, nil, hash.Hash{}, nil, fmt.Errorf("%s: not a regular file", n.path)
	}
	// The File downloads chunks lazily with this context: it lives as
	// long as the content, every read is bounded by its own deadline.
	fctx, cancel := context.WithCancel(context.Background())
	octx, ocancel := context.WithTimeout(fctx, f.cfg.OpTimeout)
	defer ocancel()
	s := f.acquireGen(n.gen)
	if s == nil {
		s = f.acquire()
		if e.IsChunked() {
			ne, err := s.tree.Lookup(octx, n.path)
			if err != nil || !f.sameContent(n.gen, e, s, ne) {
				f.releaseSnap(s)
				cancel()
				return nil, nil, hash.Hash{}, nil, fmt.Errorf("%w: %s (open it again)", ErrStale, n.path)
			}
			e = ne
		}
	}
	var held hash.Hash
	if f.cfg.Cache != nil && !e.Hash.IsZero() {
		held = e.Hash
		f.cfg.Cache.Acquire(held)
	}
	file, err := s.tree.Open(fctx, e)
	if err != nil {
		if !held.IsZero() {
			f.cfg.Cache.Release(held)
		}
		f.releaseSnap(s)
		cancel()
		return nil, nil, hash.Hash{}, nil, err
	}
	return file, s, held, cancel, nil
}
