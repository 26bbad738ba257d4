package reader

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// File is the verified content of a regular file.
type File interface {
	io.ReaderAt
	io.Closer
	Size() int64
}

// Open returns the content of the regular file n. Unchunked files are
// fetched whole (verified, into the cache); chunks are fetched on demand.
func (r *Repo) Open(ctx context.Context, n *Node) (File, error) {
	if !n.IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", displayPath(n.Path))
	}
	if n.Flags&catalog.FlagFileExternal != 0 {
		return nil, fmt.Errorf("%s: external files are not supported", displayPath(n.Path))
	}
	if n.IsChunked() {
		chunks, err := r.Chunks(ctx, n)
		if err != nil {
			return nil, err
		}
		if len(chunks) == 0 {
			return nil, fmt.Errorf("%s: chunked file without chunks (corrupt catalog)", displayPath(n.Path))
		}
		return &chunkedFile{r: r, n: n, chunks: chunks, ctx: ctx}, nil
	}
	if n.Hash.IsZero() {
		return nil, fmt.Errorf("%s: regular file without content hash (corrupt catalog)", displayPath(n.Path))
	}
	f, err := r.objs.getContent(ctx, n.Hash, hash.SuffixNone, n.Compressed(), n.Size, n.Path)
	if err != nil {
		return nil, err
	}
	return &wholeFile{f: f, size: n.Size}, nil
}

type wholeFile struct {
	f    Object
	size int64
}

func (w *wholeFile) ReadAt(p []byte, off int64) (int, error) { return w.f.ReadAt(p, off) }
func (w *wholeFile) Close() error                            { return w.f.Close() }
func (w *wholeFile) Size() int64                             { return w.size }

// chunkedFile reads chunks lazily; the most recently used chunk stays open.
type chunkedFile struct {
	r      *Repo
	n      *Node
	ctx    context.Context
	chunks []catalog.Chunk
	mu     sync.Mutex
	cur    int
	curF   Object
}

func (c *chunkedFile) Size() int64 { return c.n.Size }

// readChunk reads from chunk i at off; the handle of the last chunk used is
// kept open, and reads through one File are serialized.
func (c *chunkedFile) readChunk(i int, p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.curF == nil || c.cur != i {
		ch := c.chunks[i]
		f, err := c.r.objs.getContent(c.ctx, ch.Hash, hash.SuffixPartial, c.n.Compressed(), ch.Size, c.n.Path)
		if err != nil {
			return 0, err
		}
		if c.curF != nil {
			c.curF.Close()
		}
		c.cur, c.curF = i, f
	}
	return c.curF.ReadAt(p, off)
}

func (c *chunkedFile) ReadAt(p []byte, off int64) (int, error) {
	total := 0
	for len(p) > 0 {
		if off >= c.n.Size {
			return total, io.EOF
		}
		i := sort.Search(len(c.chunks), func(i int) bool { return c.chunks[i].Offset+c.chunks[i].Size > off })
		if i == len(c.chunks) {
			return total, fmt.Errorf("%s: chunk list does not cover offset %d", displayPath(c.n.Path), off)
		}
		ch := c.chunks[i]
		want := min(int64(len(p)), ch.Offset+ch.Size-off)
		n, err := c.readChunk(i, p[:want], off-ch.Offset)
		total += n
		off += int64(n)
		p = p[n:]
		if err != nil && err != io.EOF {
			return total, err
		}
		if int64(n) < want {
			return total, io.ErrUnexpectedEOF
		}
	}
	return total, nil
}

func (c *chunkedFile) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.curF != nil {
		c.curF.Close()
		c.curF = nil
	}
	return nil
}
