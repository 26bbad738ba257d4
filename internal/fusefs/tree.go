package fusefs

import (
	"context"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/reader"
)

// Node is one entry of a revision; Inode is stable within the Tree and
// shared by the members of a hard-link group.
type Node = reader.Node

// File reads verified content.
type File = reader.File

// RepoInfo describes the mounted revision.
type RepoInfo struct {
	FQRN      string
	Revision  uint64
	RootHash  hash.Hash
	Tag       string
	Timestamp int64 // manifest T (seconds)
	TTL       time.Duration
	Fixed     bool // tag or root hash: never updated
}

// Tree is one revision of a repository, as the verified reader serves it.
type Tree interface {
	Info() RepoInfo
	Lookup(ctx context.Context, path string) (*Node, error)
	ReadDir(ctx context.Context, path string) ([]*Node, error)
	Open(ctx context.Context, n *Node) (File, error)
	Chunks(ctx context.Context, n *Node) ([]catalog.Chunk, error)
	Xattrs(ctx context.Context, n *Node) (map[string][]byte, error)
	CatalogCount() int
	Close() error
}

// OpenRequest asks for a revision. RootHash set: exactly that root catalog
// (fixed, used for offline mounts from a breadcrumb). Otherwise the
// configured tag, or the newest revision not older than MinRevision /
// MinTimestamp.
type OpenRequest struct {
	RootHash     hash.Hash
	MinRevision  uint64
	MinTimestamp int64
}

// Opener opens a revision (wraps reader.Open with the mount's settings).
type Opener func(ctx context.Context, req OpenRequest) (Tree, error)
