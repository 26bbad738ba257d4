package reader

import (
	"context"
	"fmt"
	"io"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/object"
)

// MaxStreamPiece bounds one object of a streamed file (the largest chunk
// the publisher makes is 16 MiB).
const MaxStreamPiece = 64 << 20

// Stream downloads the objects of the regular file n in order, verifies
// each one in memory and hands it, verified and inflated, to fn. Nothing
// goes to the cache: for content used once (a boot pack), where a cache
// copy would only cost a write. fn must not keep the slice.
func (r *Repo) Stream(ctx context.Context, n *Node, fn func([]byte) error) error {
	if !n.IsRegular() {
		return fmt.Errorf("%s: not a regular file", displayPath(n.Path))
	}
	pieces := []catalog.Chunk{{Size: n.Size, Hash: n.Hash}}
	suffix := hash.SuffixNone
	if n.IsChunked() {
		cs, err := r.Chunks(ctx, n)
		if err != nil {
			return err
		}
		pieces, suffix = cs, hash.SuffixPartial
	}
	var buf []byte
	for _, p := range pieces {
		if p.Size < 0 || p.Size > MaxStreamPiece {
			return fmt.Errorf("%s: object of %d bytes, more than %d", displayPath(n.Path), p.Size, MaxStreamPiece)
		}
		var err error
		if buf, err = r.verifiedPiece(ctx, p.Hash, suffix, n.Compressed(), p.Size, buf); err != nil {
			return fmt.Errorf("%s: %w", displayPath(n.Path), err)
		}
		if err := fn(buf); err != nil {
			return err
		}
	}
	return nil
}

// verifiedPiece downloads one object into buf (reused) and verifies it.
func (r *Repo) verifiedPiece(ctx context.Context, h hash.Hash, suffix byte, compressed bool, size int64, buf []byte) ([]byte, error) {
	if cap(buf) < int(size) {
		buf = make([]byte, 0, size)
	}
	w := &boundedBuffer{b: buf[:0], max: size}
	err := r.objs.src.Get(ctx, h.ObjectPath(suffix), func(body io.Reader) error {
		w.b = w.b[:0] // a retry starts over
		_, err := object.Verify(w, body, h, compressed, size)
		return err
	})
	if err != nil {
		return buf, fmt.Errorf("object %s: %w", h.ObjectPath(suffix), err)
	}
	return w.b, nil
}
