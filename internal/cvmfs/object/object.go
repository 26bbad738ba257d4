package object

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/zlib"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// ErrBadData reports an object whose hash or size does not match.
var ErrBadData = errors.New("object hash or size mismatch")

var writerPool = sync.Pool{New: func() any {
	w, _ := zlib.NewWriterLevel(io.Discard, zlib.DefaultCompression)
	return w
}}

// Inflaters and copy buffers are reused: a client verifies one object per
// file it opens, and a fresh inflater per object was ~5 % of its CPU.
// The stored bytes are read through a 64 KiB buffer (the inflater would
// otherwise read them 4 KiB at a time, one system call each from a
// network connection), inflated bytes are written 128 KiB at a time.
var (
	readerPool sync.Pool
	copyBufs   = sync.Pool{New: func() any { b := make([]byte, 128<<10); return &b }}
	bufReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}
)

func getReader(r io.Reader) (io.ReadCloser, error) {
	if zr, ok := readerPool.Get().(io.ReadCloser); ok {
		if err := zr.(zlib.Resetter).Reset(r, nil); err != nil {
			return nil, err
		}
		return zr, nil
	}
	return zlib.NewReader(r)
}

func putReader(zr io.ReadCloser) {
	zr.Close()
	readerPool.Put(zr)
}

// Compress returns the zlib stream of data (any valid encoder; fast).
func Compress(data []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(data)/2 + 64)
	w := writerPool.Get().(*zlib.Writer)
	w.Reset(&buf)
	w.Write(data)
	w.Close()
	writerPool.Put(w)
	return buf.Bytes()
}

// CompressTo streams zlib-compressed r into dst and returns bytes read.
func CompressTo(dst io.Writer, r io.Reader) (int64, error) {
	w := writerPool.Get().(*zlib.Writer)
	defer writerPool.Put(w)
	w.Reset(dst)
	n, err := io.Copy(w, r)
	if err != nil {
		return n, err
	}
	return n, w.Close()
}

// Inflate decompresses a complete zlib stream, refusing outputs above limit
// bytes (limit < 0: no limit).
func Inflate(data []byte, limit int64) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: inflate: %v", ErrBadData, err)
	}
	defer r.Close()
	var src io.Reader = r
	if limit >= 0 {
		src = io.LimitReader(r, limit+1)
	}
	out, err := io.ReadAll(src)
	if err != nil {
		return nil, fmt.Errorf("%w: inflate: %v", ErrBadData, err)
	}
	if limit >= 0 && int64(len(out)) > limit {
		return nil, fmt.Errorf("%w: inflated size exceeds %d bytes", ErrBadData, limit)
	}
	return out, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Verify copies the stored object body from r into dst (inflated if
// compressed) and returns an error wrapping ErrBadData unless the hash of
// the stored bytes equals want and, if wantSize >= 0, the content has
// wantSize bytes. Bytes reach dst before the check: callers write into a
// cache transaction and commit only on success.
func Verify(dst io.Writer, r io.Reader, want hash.Hash, compressed bool, wantSize int64) (int64, error) {
	h := hash.New(want.Alg)
	tee := io.TeeReader(r, h)
	cw := &countWriter{w: dst}
	if compressed {
		br := bufReaders.Get().(*bufio.Reader)
		br.Reset(tee) // every byte read through it is hashed once by tee
		defer func() { br.Reset(nil); bufReaders.Put(br) }()
		zr, err := getReader(br)
		if err != nil {
			return 0, fmt.Errorf("%w: %v", ErrBadData, err)
		}
		buf := copyBufs.Get().(*[]byte)
		_, err = io.CopyBuffer(cw, zr, *buf)
		copyBufs.Put(buf)
		putReader(zr)
		if err != nil {
			return cw.n, fmt.Errorf("%w: inflate: %v", ErrBadData, err)
		}
		// Hash trailing bytes after the zlib stream too: they are part of the object.
		if _, err := io.Copy(io.Discard, tee); err != nil {
			return cw.n, err
		}
	} else if _, err := io.Copy(cw, tee); err != nil {
		return cw.n, err
	}
	got := hash.Hash{Alg: want.Alg, Digest: h.Sum(nil)}
	if !got.Equal(want) {
		return cw.n, fmt.Errorf("%w: content hash %s, want %s", ErrBadData, got, want)
	}
	if wantSize >= 0 && cw.n != wantSize {
		return cw.n, fmt.Errorf("%w: %d bytes, want %d", ErrBadData, cw.n, wantSize)
	}
	return cw.n, nil
}
