package fusefs

import (
	"context"
	"sync"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// handle is an open regular file; it keeps its revision alive. The content
// is opened (downloaded if needed) on the first read: when the kernel serves
// a file from its page cache, no read arrives and nothing is opened.
type handle struct {
	mu     sync.Mutex
	f      File
	e      *Node
	ctx    context.Context
	cancel context.CancelFunc
	snap   *snapshot
	held   []hash.Hash // objects marked in use in the cache
}

func (n *node) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if flags&(syscall.O_WRONLY|syscall.O_RDWR|syscall.O_TRUNC|syscall.O_APPEND) != 0 {
		return nil, 0, syscall.EROFS
	}
	f := n.fsys
	if f.noOpen.Load() {
		// The kernel treats ENOSYS as success and stops sending OPEN and
		// RELEASE for this mount: reads arrive without a handle.
		return nil, 0, syscall.ENOSYS
	}
	f.maybeUpdate()
	s := f.acquire()
	ctx, cancel := f.opCtx(ctx)
	defer cancel()
	e := n.ent
	if e == nil || !e.IsRegular() {
		f.releaseSnap(s)
		return nil, 0, syscall.EISDIR
	}
	if n.gen != s.gen { // opened after a revision switch: serve the new content
		ne, err := bounded(ctx, func() (*Node, error) { return s.tree.Lookup(ctx, n.path) })
		if err != nil {
			f.releaseSnap(s)
			return nil, 0, f.errno("open", n.path, err)
		}
		e = ne
	}
	f.readAhead(n.path, s.gen)
	h := &handle{snap: s, e: e}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	if f.cfg.Cache != nil && !e.Hash.IsZero() {
		h.held = []hash.Hash{e.Hash}
		f.cfg.Cache.Acquire(h.held...)
	}
	return h, fuse.FOPEN_KEEP_CACHE, 0
}

// file opens the content once; a failed open is retried by the next read.
// The File keeps h.ctx for lazy chunk downloads, each read is bounded by
// its operation's deadline.
func (h *handle) file() (File, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.f == nil {
		f, err := h.snap.tree.Open(h.ctx, h.e)
		if err != nil {
			return nil, err
		}
		h.f = f
	}
	return h.f, nil
}

func (n *node) Read(ctx context.Context, fh fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h, _ := fh.(*handle)
	if h == nil && fh != nil {
		return nil, syscall.EBADF
	}
	f := n.fsys
	f.ops.reads.Add(1)
	f.record.noteRead(n)
	if h == nil {
		// Content open already or in the local cache: nothing can wait on
		// the network, read without the deadline goroutine.
		if c := f.localContent(n); c != nil {
			defer f.putContent(c)
			// No deadline goroutine here: read straight into go-fuse's
			// buffer (no allocation and clearing per READ).
			buf, err := readInto(c.f, dest, off)
			if err != nil {
				return nil, f.errnoIO("read", n.path, err)
			}
			f.ops.readBytes.Add(int64(len(buf)))
			return fuse.ReadResultData(buf), 0
		}
	}
	ctx, cancel := f.opCtx(ctx)
	defer cancel()
	// Read into a private buffer: if the deadline passes, the late read
	// must not write into a buffer go-fuse already reused.
	size := len(dest)
	buf, err := bounded(ctx, func() ([]byte, error) {
		if h != nil {
			file, err := h.file()
			if err != nil {
				return nil, err
			}
			return readAt(file, size, off)
		}
		c, err := f.getContent(n) // no-open mode
		if err != nil {
			return nil, err
		}
		defer f.putContent(c)
		return readAt(c.f, size, off)
	})
	if err != nil {
		return nil, n.fsys.errnoIO("read", n.path, err)
	}
	f.ops.readBytes.Add(int64(len(buf)))
	return fuse.ReadResultData(buf), 0
}

// readAt reads up to size bytes at off into a new buffer.
func readAt(file File, size int, off int64) ([]byte, error) {
	if rest := file.Size() - off; rest < int64(size) {
		size = int(max(rest, 0))
	}
	if size == 0 {
		return nil, nil
	}
	return readInto(file, make([]byte, size), off)
}

// readInto reads up to len(b) bytes at off into b (never asking past the
// end: one pread less per file).
func readInto(file File, b []byte, off int64) ([]byte, error) {
	if rest := file.Size() - off; rest < int64(len(b)) {
		b = b[:max(rest, 0)]
	}
	if len(b) == 0 {
		return nil, nil
	}
	k, err := file.ReadAt(b, off)
	if err != nil && k < len(b) && !isEOF(err) {
		return nil, err
	}
	return b[:k], nil
}

func (n *node) Release(ctx context.Context, fh fs.FileHandle) syscall.Errno {
	if h, ok := fh.(*handle); ok {
		h.cancel()
		go func() { // a read past its deadline may still hold h.mu
			h.mu.Lock()
			if h.f != nil {
				h.f.Close()
			}
			h.mu.Unlock()
			h.release(n.fsys)
		}()
	}
	return 0
}

func (h *handle) release(f *FS) {
	h.cancel()
	if f.cfg.Cache != nil && len(h.held) > 0 {
		f.cfg.Cache.Release(h.held...)
	}
	f.releaseSnap(h.snap)
}

// acquireGen returns revision gen, kept open until releaseSnap, or nil if
// it is closed already.
func (f *FS) acquireGen(gen uint64) *snapshot {
	f.mu.RLock()
	defer f.mu.RUnlock()
	s := f.live[gen]
	if s != nil {
		s.refs.Add(1)
	}
	return s
}

// acquire returns the current revision and keeps it open until releaseSnap.
func (f *FS) acquire() *snapshot {
	f.mu.RLock()
	defer f.mu.RUnlock()
	f.cur.refs.Add(1)
	return f.cur
}

func (f *FS) releaseSnap(s *snapshot) {
	s.refs.Add(-1)
	s.maybeClose()
}
