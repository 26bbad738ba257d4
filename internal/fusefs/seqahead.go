package fusefs

import (
	"context"
	"strings"
	"sync"
)

// Sequential read-ahead across files: when a reader opens the files of a
// directory one after the other in listing order (find | xargs cat, tar,
// cp -r, grep -r, systemd reading a unit directory), the next files of the
// listing are downloaded before they are asked for, with a few downloads in
// flight — what the kernel's readahead does within one file. Nothing is
// fetched for scattered reads: three opens in listing order in one
// directory start it, and the window grows from 4 to 32 files while the
// scan goes on. Only whole (unchunked) files up to aheadMaxSize are
// fetched; they are verified like any other download.
const (
	aheadDirs     = 16      // directories tracked
	aheadInFlight = 4       // downloads at once
	aheadMaxSize  = 1 << 20 // bigger files are left to the reader
	aheadMaxWin   = 32      // files ahead
)

type seqAhead struct {
	mu   sync.Mutex
	dirs map[string]*dirScan
	fifo []string
	sem  chan struct{}
}

// dirScan is the listing of one directory and where the reader is in it.
type dirScan struct {
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
func (a *seqAhead) listed(dir string, gen uint64, entries []*Node) {
	d := &dirScan{gen: gen, entries: entries, index: make(map[string]int, len(entries)), last: -1}
	for i, e := range entries {
		d.index[e.Name] = i
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.dirs[dir]; !ok {
		a.fifo = append(a.fifo, dir)
		if len(a.fifo) > aheadDirs {
			delete(a.dirs, a.fifo[0])
			a.fifo = a.fifo[1:]
		}
	}
	a.dirs[dir] = d
}

// opened notes that the file at path (revision gen) is being opened. If
// the reader scans the directory it returns the directory and the range of
// its listing [from, to) to fetch ahead.
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
	if d.last >= 0 && i > d.last && i-d.last <= 4 {
		d.run++
	} else {
		d.run = 0
	}
	d.last = i
	if d.run < 2 {
		return nil, 0, 0
	}
	win := min(4<<min(d.run-2, 3), aheadMaxWin)
	return d, max(d.next, i+1), min(i+1+win, len(d.entries))
}

// done records that the listing of d is scheduled up to index next.
func (a *seqAhead) done(d *dirScan, next int) {
	a.mu.Lock()
	d.next = max(d.next, next)
	a.mu.Unlock()
}

// worth reports whether e is fetched ahead: whole small files only.
func worth(e *Node) bool {
	return e.IsRegular() && !e.IsChunked() && e.Size <= aheadMaxSize && !e.Hash.IsZero()
}

// readAhead starts downloads of the files after path in its directory's
// listing when the reader scans it, as many as free download slots allow
// (the rest is scheduled on the next open, or left to the reader).
func (f *FS) readAhead(path string, gen uint64) {
	if f.cfg.Cache == nil {
		return
	}
	d, from, to := f.ahead.opened(path, gen)
	if d == nil {
		return
	}
	// The cache checks may wait for a background write: not on the
	// reader's path.
	go f.scheduleAhead(d, from, to, gen)
}

// scheduleAhead starts the downloads of d's entries [from, to) that are
// not cached yet, while download slots are free, and records how far it got.
func (f *FS) scheduleAhead(d *dirScan, from, to int, gen uint64) {
	next := from
scan:
	for j := from; j < to; j++ {
		if e := d.entries[j]; worth(e) && !f.cfg.Cache.Contains(e.Hash) {
			select {
			case f.ahead.sem <- struct{}{}:
				go f.fetchAhead(e, gen)
			default:
				break scan // no free download slot
			}
		}
		next = j + 1
	}
	f.ahead.done(d, next)
}

func (f *FS) fetchAhead(e *Node, gen uint64) {
	defer func() { <-f.ahead.sem }()
	s := f.acquireGen(gen)
	if s == nil {
		return
	}
	defer f.releaseSnap(s)
	ctx, cancel := context.WithTimeout(context.Background(), f.cfg.OpTimeout)
	defer cancel()
	if file, err := s.tree.Open(ctx, e); err == nil {
		file.Close()
	}
}
