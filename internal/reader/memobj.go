package reader

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/object"
)

// getContent returns the verified content of a regular object. With a
// MemCache, objects of at most MemObjectMax bytes are downloaded and
// verified in memory, served from there and written to disk by the cache
// in the background; everything else goes through get.
func (o *objects) getContent(ctx context.Context, h hash.Hash, suffix byte, compressed bool, size int64, desc string) (Object, error) {
	mc, ok := o.cache.(MemCache)
	limit := int64(MemObjectMax)
	if l, isL := o.cache.(MemLimiter); isL {
		limit = l.MemObjectLimit()
	}
	if !ok || size < 0 || size > limit {
		return o.get(ctx, h, suffix, compressed, size, KindRegular, desc)
	}
	if obj, err := mc.OpenObject(h); err == nil {
		return obj, nil
	} else if !errors.Is(err, ErrNotCached) {
		return nil, err
	}
	v, err, _ := o.group.Do(h.String(), func() (any, error) {
		if obj, err := mc.OpenObject(h); err == nil { // filled while we waited
			obj.Close()
			return nil, nil
		}
		var data []byte
		err := o.src.Get(ctx, h.ObjectPath(suffix), func(body io.Reader) error {
			w := &boundedBuffer{b: make([]byte, 0, size), max: size}
			if _, err := object.Verify(w, body, h, compressed, size); err != nil {
				return err
			}
			data = w.b
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("object %s: %w", h.ObjectPath(suffix), err)
		}
		mc.Put(h, ObjectInfo{Kind: KindRegular, Size: size, Description: desc}, data)
		return data, nil
	})
	if err != nil {
		return nil, err
	}
	if data, ok := v.([]byte); ok {
		return MemObject(data), nil
	}
	if obj, err := mc.OpenObject(h); err == nil {
		return obj, nil
	}
	return o.get(ctx, h, suffix, compressed, size, KindRegular, desc)
}

// MemObject serves verified bytes held in memory as an Object.
func MemObject(b []byte) Object { return memObject{bytes.NewReader(b)} }

type memObject struct{ *bytes.Reader }

func (memObject) Close() error { return nil }

// boundedBuffer collects an object of known size; more bytes than that are
// bad data (a server cannot make the client allocate beyond the size
// the catalog promised).
type boundedBuffer struct {
	b   []byte
	max int64
}

func (w *boundedBuffer) Write(p []byte) (int, error) {
	if int64(len(w.b)+len(p)) > w.max {
		return 0, fmt.Errorf("%w: more than the expected %d bytes", ErrBadData, w.max)
	}
	w.b = append(w.b, p...)
	return len(p), nil
}

// OpenCached returns the content of the regular, unchunked file n if the
// cache holds it (in memory or on disk): no download, no catalog access,
// nothing that can wait on the network. ok is false otherwise.
func (r *Repo) OpenCached(n *Node) (f File, ok bool) {
	mc, isMem := r.objs.cache.(MemCache)
	if !isMem || !n.IsRegular() || n.IsChunked() || n.Hash.IsZero() || n.Flags&catalog.FlagFileExternal != 0 {
		return nil, false
	}
	obj, err := mc.OpenObject(n.Hash)
	if err != nil {
		return nil, false
	}
	return &wholeFile{f: obj, size: n.Size}, true
}
