package reader

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/object"
)

// MaxStreamPiece bounds one object of a streamed file (the largest chunk
// the publisher makes is 16 MiB).
const MaxStreamPiece = 64 << 20

// PieceCheck verifies piece i (0-based, in file order) of a file streamed
// by StreamChecked: its stored bytes, in full. A non-nil error stops the
// stream before fn sees the piece.
type PieceCheck func(i int, piece []byte) error

// ErrPieceCount: StreamChecked's caller expected another number of pieces.
var ErrPieceCount = errors.New("the file has another number of pieces")

// Stream downloads the objects of the regular file n in order, verifies
// each one in memory and hands it, verified and inflated, to fn. Nothing
// goes to the cache: for content used once (a boot pack), where a cache
// copy would only cost a write. fn must not keep the slice.
func (r *Repo) Stream(ctx context.Context, n *Node, fn func([]byte) error) error {
	return r.stream(ctx, n, -1, nil, fn)
}

// StreamChecked is Stream for a file stored uncompressed in pieces objects
// whose pieces are verified by check instead of by their object hashes:
// for digests that signed metadata holds next to those hashes and that
// cost less to compute (a boot pack's BLAKE3 digests, see package
// bootpack). The objects are still fetched by their hashes' names.
func (r *Repo) StreamChecked(ctx context.Context, n *Node, pieces int, check PieceCheck, fn func([]byte) error) error {
	if n.Compressed() {
		return fmt.Errorf("%s: stored compressed; checked pieces must be stored as they are", displayPath(n.Path))
	}
	return r.stream(ctx, n, pieces, check, fn)
}

// pieces returns the objects of the regular file n: its chunks, or the
// file's one object.
func (r *Repo) pieces(ctx context.Context, n *Node) ([]catalog.Chunk, byte, error) {
	if !n.IsRegular() {
		return nil, 0, fmt.Errorf("%s: not a regular file", displayPath(n.Path))
	}
	if !n.IsChunked() {
		return []catalog.Chunk{{Size: n.Size, Hash: n.Hash}}, hash.SuffixNone, nil
	}
	cs, err := r.Chunks(ctx, n)
	return cs, hash.SuffixPartial, err
}

func (r *Repo) stream(ctx context.Context, n *Node, want int, check PieceCheck, fn func([]byte) error) error {
	pieces, suffix, err := r.pieces(ctx, n)
	if err != nil {
		return err
	}
	if check != nil && len(pieces) != want {
		return fmt.Errorf("%s: %w: %d, expected %d", displayPath(n.Path), ErrPieceCount, len(pieces), want)
	}
	var buf []byte
	for i, p := range pieces {
		if p.Size < 0 || p.Size > MaxStreamPiece {
			return fmt.Errorf("%s: object of %d bytes, more than %d", displayPath(n.Path), p.Size, MaxStreamPiece)
		}
		if check == nil {
			buf, err = r.verifiedPiece(ctx, p.Hash, suffix, n.Compressed(), p.Size, buf)
		} else {
			buf, err = r.checkedPiece(ctx, p.Hash, suffix, p.Size, buf, func(b []byte) error { return check(i, b) })
		}
		if err != nil {
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
	return r.getPiece(ctx, h, suffix, size, buf, func(w io.Writer, body io.Reader) error {
		_, err := object.Verify(w, body, h, compressed, size)
		return err
	})
}

// checkedPiece downloads one uncompressed object of size bytes into buf
// (reused) and verifies it with check.
func (r *Repo) checkedPiece(ctx context.Context, h hash.Hash, suffix byte, size int64, buf []byte, check func([]byte) error) ([]byte, error) {
	return r.getPiece(ctx, h, suffix, size, buf, func(w io.Writer, body io.Reader) error {
		bw := w.(*boundedBuffer)
		if _, err := io.Copy(bw, body); err != nil {
			return err
		}
		if int64(len(bw.b)) != size {
			return fmt.Errorf("%w: %d bytes, want %d", ErrBadData, len(bw.b), size)
		}
		if err := check(bw.b); err != nil {
			return fmt.Errorf("%w: %v", ErrBadData, err)
		}
		return nil
	})
}

// getPiece downloads one object into buf (reused) through read, which
// fills the buffer from the body and verifies it.
func (r *Repo) getPiece(ctx context.Context, h hash.Hash, suffix byte, size int64, buf []byte, read func(io.Writer, io.Reader) error) ([]byte, error) {
	if cap(buf) < int(size) {
		buf = make([]byte, 0, size)
	}
	w := &boundedBuffer{b: buf[:0], max: size}
	err := r.objs.src.Get(ctx, h.ObjectPath(suffix), func(body io.Reader) error {
		w.b = w.b[:0] // a retry starts over
		return read(w, body)
	})
	if err != nil {
		return buf, fmt.Errorf("object %s: %w", h.ObjectPath(suffix), err)
	}
	return w.b, nil
}
