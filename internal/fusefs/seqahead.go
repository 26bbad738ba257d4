package fusefs

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hanwen/go-fuse/v2/fs"
)

// Sequential read-ahead across files: when a reader opens the files of a
// directory one after the other in listing order (find | xargs cat, tar,
// cp -r, grep -r, systemd reading a unit directory), the next files of the
// listing are fetched before they are asked for, with a few in flight —
// what the kernel's readahead does within one file. Nothing is fetched for
// scattered reads: three opens in listing order in one directory start it,
// and the window grows from 4 to 32 files while the scan goes on. Only
// whole (unchunked) files up to aheadMaxSize are fetched; they are
// verified like any other download.
//
// A file fetched ahead whose inode the kernel knows (from READDIRPLUS or a
// lookup) is also stored in the kernel's page cache (FUSE_NOTIFY_STORE):
// its reads then never reach the daemon, no round trip per file. Every
// sentinelEvery-th file of the listing is left to the reader, so that its
// READ tells the daemon how far the scan got and the window moves on.
const (
	// Directories tracked: find | xargs cat lists about a hundred
	// directories ahead of the reader (pipe and argument buffers).
	aheadDirs     = 512
	aheadEntries  = 1 << 16 // entries of the tracked directories (memory bound)
	aheadInFlight = 4       // fetches at once
	aheadMaxSize  = 1 << 20 // bigger files are left to the reader
	aheadMaxWin   = 32      // files ahead
	sentinelEvery = 16      // listing indexes ≡ 0 are never pushed
)

type seqAhead struct {
	mu      sync.Mutex
	dirs    map[string]*dirScan
	fifo    []string
	entries int // of the tracked directories
	sem     chan struct{}

	fetched     atomic.Int64 // files fetched ahead
	pushed      atomic.Int64 // files stored in the kernel's page cache
	pushedBytes atomic.Int64
}

// dirScan is the listing of one directory and where the reader is in it.
type dirScan struct {
	dir     *node // the directory's inode (its children are the kernel's)
	gen     uint64
	entries []*Node
	index   map[string]int
	last    int // listing index of the last file opened, -1: none
	run     int // consecutive opens in listing order
	next    int // first index not scheduled yet
}

func newSeqAhead() *seqAhead {
	return &seqAhead{dirs: map[string]*dirScan{}, sem: make(chan struct{}, aheadInFlight)}
}

// listed records the listing of dir in revision gen.
func (a *seqAhead) listed(dir *node, gen uint64, entries []*Node) {
	d := &dirScan{dir: dir, gen: gen, entries: entries, index: make(map[string]int, len(entries)), last: -1}
	for i, e := range entries {
		d.index[e.Name] = i
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if old, ok := a.dirs[dir.path]; ok {
		a.entries -= len(old.entries)
	} else {
		a.fifo = append(a.fifo, dir.path)
	}
	a.dirs[dir.path] = d
	a.entries += len(entries)
	for len(a.fifo) > 1 && (len(a.fifo) > aheadDirs || a.entries > aheadEntries) {
		a.entries -= len(a.dirs[a.fifo[0]].entries)
		delete(a.dirs, a.fifo[0])
		a.fifo = a.fifo[1:]
	}
}

// opened notes that the file at path (revision gen) is being opened. If
// the reader scans the directory it returns the directory and the range of
// its listing [from, to) to fetch ahead, which is then reserved. An open
// inside the range scheduled before continues the scan: files pushed into
// the page cache are read without the daemon seeing it.
func (a *seqAhead) opened(path string, gen uint64) (d *dirScan, from, to int) {
	dir, name := "", path
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		dir, name = path[:i], path[i+1:]
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	d = a.dirs[dir]
	if d == nil || d.gen != gen {
		return nil, 0, 0
	}
	i, ok := d.index[name]
	if !ok {
		return nil, 0, 0
	}
	if d.last >= 0 && i > d.last && i <= max(d.last, d.next)+4 {
		d.run++
	} else {
		d.run = 0
	}
	d.last = i
	if d.run < 2 {
		return nil, 0, 0
	}
	win := min(4<<min(d.run-2, 3), aheadMaxWin)
	from, to = max(d.next, i+1), min(i+1+win, len(d.entries))
	if from >= to {
		return nil, 0, 0
	}
	d.next = to
	return d, from, to
}

// worth reports whether e is fetched ahead: whole small files only.
func worth(e *Node) bool {
	return e.IsRegular() && !e.IsChunked() && e.Size <= aheadMaxSize && !e.Hash.IsZero()
}

// readAhead fetches the files after path in its directory's listing when
// the reader scans it.
func (f *FS) readAhead(path string, gen uint64) {
	if f.cfg.Cache == nil {
		return
	}
	d, from, to := f.ahead.opened(path, gen)
	if d == nil {
		return
	}
	// The cache checks may wait for a background write and the slots for
	// other fetches: not on the reader's path.
	go f.scheduleAhead(d, from, to)
}

// scheduleAhead fetches d's entries [from, to), at most aheadInFlight at
// a time. Sentinels that are cached already need nothing.
func (f *FS) scheduleAhead(d *dirScan, from, to int) {
	for j := from; j < to; j++ {
		e := d.entries[j]
		if !worth(e) {
			continue
		}
		var child *fs.Inode // nil: fetch only (sentinel, or no kernel inode)
		if j%sentinelEvery != 0 {
			child = d.known(e)
		}
		if child == nil && f.cfg.Cache.Contains(e.Hash) {
			continue
		}
		f.ahead.sem <- struct{}{}
		go f.fetchAhead(d, e, child)
	}
}

// fetchAhead downloads e (if it is not cached) and, given e's kernel
// inode, stores its content in the kernel's page cache.
func (f *FS) fetchAhead(d *dirScan, e *Node, child *fs.Inode) {
	defer func() { <-f.ahead.sem }()
	s := f.acquireGen(d.gen)
	if s == nil {
		return
	}
	defer f.releaseSnap(s)
	ctx, cancel := context.WithTimeout(context.Background(), f.cfg.OpTimeout)
	defer cancel()
	file, err := s.tree.Open(ctx, e)
	if err != nil {
		return
	}
	defer file.Close()
	f.ahead.fetched.Add(1)
	if child != nil {
		f.push(child, e, file)
	}
}

// known returns the kernel's inode of entry e of d, nil if the kernel has
// none for this very entry (not looked up, forgotten, another revision).
func (d *dirScan) known(e *Node) *fs.Inode {
	child := d.dir.GetChild(e.Name)
	if child == nil {
		return nil
	}
	cn, ok := child.Operations().(*node)
	if !ok || cn.gen != d.gen || cn.ent == nil || !cn.ent.Hash.Equal(e.Hash) || cn.ent.Size != e.Size {
		return nil
	}
	return child
}

// push stores file, the content of entry e, in the page cache of child,
// e's kernel inode (an inode's entry never changes: known checked it).
func (f *FS) push(child *fs.Inode, e *Node, file File) {
	buf, err := readAt(file, int(e.Size), 0)
	if err != nil || int64(len(buf)) != e.Size {
		return
	}
	if child.WriteCache(0, buf) == 0 {
		if cn, ok := child.Operations().(*node); ok {
			f.record.noteRead(cn)
		}
		f.ahead.pushed.Add(1)
		f.ahead.pushedBytes.Add(int64(len(buf)))
	}
}
