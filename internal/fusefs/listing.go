package fusefs

import (
	"container/list"
	"sync"
)

// maxListings bounds the directory listings kept for lookups.
const maxListings = 32

// listing is one directory's entries in one revision, by name.
type listing struct {
	dir    *node
	gen    uint64
	byName map[string]*Node
	elem   *list.Element
}

// listings keeps the last directories listed: the kernel follows a
// READDIRPLUS (find, ls -l) with a LOOKUP of every entry, which is then
// answered from the listing instead of one catalog query each.
type listings struct {
	mu  sync.Mutex
	m   map[*node]*listing
	lru *list.List
}

func newListings() *listings { return &listings{m: map[*node]*listing{}, lru: list.New()} }

// remember records dir's entries of revision gen.
func (ls *listings) remember(dir *node, gen uint64, entries []*Node) {
	l := &listing{dir: dir, gen: gen, byName: make(map[string]*Node, len(entries))}
	for _, e := range entries {
		l.byName[e.Name] = e
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if old := ls.m[dir]; old != nil {
		ls.lru.Remove(old.elem)
	}
	l.elem = ls.lru.PushFront(l)
	ls.m[dir] = l
	for ls.lru.Len() > maxListings {
		o := ls.lru.Remove(ls.lru.Back()).(*listing)
		delete(ls.m, o.dir)
	}
}

// lookup returns the entry name of dir in revision gen if dir was listed
// recently (nil: ask the catalog; hidden entries are never listed).
func (ls *listings) lookup(dir *node, gen uint64, name string) *Node {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	l := ls.m[dir]
	if l == nil || l.gen != gen {
		return nil
	}
	return l.byName[name]
}
