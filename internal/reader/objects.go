package reader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sync/singleflight"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/object"
)

// objects fetches, verifies and caches objects; concurrent requests for the
// same object share one download.
type objects struct {
	src   Source
	cache ObjectCache
	group singleflight.Group
}

func newObjects(src Source, cache ObjectCache) *objects {
	return &objects{src: src, cache: cache}
}

// get returns the verified, inflated object h, from the cache or fetched.
func (o *objects) get(ctx context.Context, h hash.Hash, suffix byte, compressed bool, size int64, kind ObjectKind, desc string) (*os.File, error) {
	if f, err := o.cache.Open(h); err == nil {
		return f, nil
	} else if !errors.Is(err, ErrNotCached) {
		return nil, err
	}
	_, err, _ := o.group.Do(h.String(), func() (any, error) {
		if f, err := o.cache.Open(h); err == nil { // filled while we waited
			f.Close()
			return nil, nil
		}
		return nil, o.fetch(ctx, h, suffix, compressed, size, kind, desc)
	})
	if err != nil {
		return nil, err
	}
	return o.cache.Open(h)
}

func (o *objects) fetch(ctx context.Context, h hash.Hash, suffix byte, compressed bool, size int64, kind ObjectKind, desc string) error {
	txn, err := o.cache.Create(h, ObjectInfo{Kind: kind, Size: size, Description: desc})
	if err != nil {
		return err
	}
	err = o.src.Get(ctx, h.ObjectPath(suffix), func(body io.Reader) error {
		if err := txn.Reset(); err != nil {
			return err
		}
		_, err := object.Verify(txn, body, h, compressed, size)
		return err
	})
	if err != nil {
		txn.Abort()
		return fmt.Errorf("object %s: %w", h.ObjectPath(suffix), err)
	}
	return txn.Commit()
}

// getBytes fetches a small object fully into memory (certificates, history).
func (o *objects) getBytes(ctx context.Context, h hash.Hash, suffix byte, desc string) ([]byte, error) {
	f, err := o.get(ctx, h, suffix, true, -1, KindCatalog, desc)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// getRaw fetches an unverified small repository file (manifest, whitelist)
// into memory, refusing more than limit bytes.
func getRaw(ctx context.Context, src Source, rel string, limit int64) ([]byte, error) {
	var data []byte
	err := src.Get(ctx, rel, func(body io.Reader) error {
		b, err := io.ReadAll(io.LimitReader(body, limit+1))
		if err != nil {
			return err
		}
		if int64(len(b)) > limit {
			return fmt.Errorf("%s is larger than %d bytes", rel, limit)
		}
		data = b
		return nil
	})
	return data, err
}
