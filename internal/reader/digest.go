package reader

import (
	"bytes"
	"context"
	"fmt"
	stdhash "hash"
	"io"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/object"
)

// streamLimit is the largest object Digest verifies in memory instead of
// going through the cache.
const streamLimit = 32 << 20

// Digest feeds the verified content of the regular file n into h without
// storing it in the cache (objects already cached are read from there).
// Each object is verified completely before any of its bytes reach h.
func (r *Repo) Digest(ctx context.Context, n *Node, h stdhash.Hash) error {
	if !n.IsRegular() {
		return fmt.Errorf("%s: not a regular file", displayPath(n.Path))
	}
	pieces := []catalog.Chunk{{Size: n.Size, Hash: n.Hash}}
	suffix := hash.SuffixNone
	if n.IsChunked() {
		var err error
		if pieces, err = r.Chunks(ctx, n); err != nil {
			return err
		}
		suffix = hash.SuffixPartial
	}
	if n.Size > streamLimit && !n.IsChunked() {
		return r.digestCached(ctx, n, h)
	}
	var buf bytes.Buffer
	for _, p := range pieces {
		if p.Hash.IsZero() {
			return fmt.Errorf("%s: object without hash (corrupt catalog)", displayPath(n.Path))
		}
		if f, err := r.opts.Cache.Open(p.Hash); err == nil {
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return err
			}
			continue
		}
		err := r.opts.Source.Get(ctx, p.Hash.ObjectPath(suffix), func(body io.Reader) error {
			buf.Reset()
			_, err := object.Verify(&buf, body, p.Hash, n.Compressed(), p.Size)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: %w", displayPath(n.Path), err)
		}
		h.Write(buf.Bytes())
	}
	return nil
}

func (r *Repo) digestCached(ctx context.Context, n *Node, h stdhash.Hash) error {
	f, err := r.Open(ctx, n)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, io.NewSectionReader(f, 0, f.Size()))
	return err
}
