package reader

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/object"
)

// Sentinel errors callers branch on.
var (
	ErrNotFound     = errors.New("no such file or directory")
	ErrNotCached    = errors.New("object not in cache")
	ErrBadSignature = errors.New("bad signature")
	ErrBadData      = object.ErrBadData
	ErrExpired      = errors.New("whitelist expired")
	ErrRollback     = errors.New("repository revision older than the one known locally")
)

// Source yields raw repository files as stored on the server: ".cvmfspublished",
// ".cvmfswhitelist", "data/ab/cdef...C". Get calls consume with the body of each
// attempt; when consume returns an error wrapping ErrBadData the source retries
// (another host, bypassing proxies' caches) and finally returns that error.
// A missing file yields an error wrapping ErrNotFound.
type Source interface {
	Get(ctx context.Context, rel string, consume func(body io.Reader) error) error
}

// ObjectKind tells a cache how to treat an object.
type ObjectKind int

// Kinds of cached objects.
const (
	KindRegular ObjectKind = iota // file content or chunk
	KindCatalog                   // catalogs, history, certificate: pinned while in use
)

// ObjectInfo describes an object being added to a cache.
type ObjectInfo struct {
	Kind        ObjectKind
	Size        int64  // expected inflated size, -1 if unknown
	Description string // path or "catalog /a/b", for listings
}

// ObjectCache stores verified, inflated objects by content hash.
type ObjectCache interface {
	// Open returns the cached object or an error wrapping ErrNotCached.
	Open(h hash.Hash) (*os.File, error)
	// Create begins a new object; only Commit makes it visible to Open.
	Create(h hash.Hash, info ObjectInfo) (CacheTxn, error)
}

// Object is verified content: a cache file, or memory for a small object
// just downloaded (see MemCache).
type Object interface {
	io.ReaderAt
	io.Closer
}

// MemCache is an optional extension of ObjectCache: regular objects of at
// most MemObjectMax bytes are verified in memory, served from there and
// handed to the cache, which writes them to disk in the background (the
// file system operations of a cache insert are then off the reader's path).
type MemCache interface {
	// OpenObject returns a cached object (from memory while it is still
	// being written) or an error wrapping ErrNotCached.
	OpenObject(h hash.Hash) (Object, error)
	// Put takes a verified object; data is not modified afterwards. The
	// object is visible to OpenObject and Open at once (Open waits until
	// it is on disk); a failed background write only loses the copy.
	Put(h hash.Hash, info ObjectInfo, data []byte)
}

// MemObjectMax is the largest object verified in memory for a MemCache
// (unless it implements MemLimiter).
const MemObjectMax = 256 << 10

// MemLimiter is a MemCache that sets its own limit for objects verified in
// memory (the cache's write-behind mode takes larger ones).
type MemLimiter interface{ MemObjectLimit() int64 }

// CacheTxn is an object being written into an ObjectCache.
type CacheTxn interface {
	io.Writer
	// Reset discards what was written so far (a retried download).
	Reset() error
	// Commit makes the object visible; the caller has verified it.
	Commit() error
	// Abort discards the object.
	Abort()
}
