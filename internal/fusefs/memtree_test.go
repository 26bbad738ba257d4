package fusefs

import (
	"bytes"
	"context"
	"crypto/sha1"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/reader"
)

// memTree is an in-memory Tree for testing the FUSE layer without the reader.
type memTree struct {
	info    RepoInfo
	nodes   map[string]*Node
	data    map[string][]byte
	xattrs  map[string]map[string][]byte
	stall   map[string]bool // Open of these paths blocks until ctx ends
	mu      sync.Mutex
	closed  bool
	ignored bool // ignore ctx in stalls (a misbehaving reader)
}

func newMemTree(rev uint64) *memTree {
	t := &memTree{info: RepoInfo{FQRN: "mem.test", Revision: rev, TTL: time.Hour, Timestamp: int64(1000 + rev)},
		nodes: map[string]*Node{}, data: map[string][]byte{}, xattrs: map[string]map[string][]byte{}, stall: map[string]bool{}}
	d := sha1.Sum([]byte(fmt.Sprint("root", rev)))
	t.info.RootHash = hash.Hash{Alg: hash.SHA1, Digest: d[:]}
	t.add("", catalog.ModeDir|0o755, nil, "")
	return t
}

var inoCounter uint64

func (t *memTree) add(path string, mode uint32, content []byte, link string) *Node {
	inoCounter++
	name := path[strings.LastIndexByte(path, '/')+1:]
	n := &Node{Entry: catalog.Entry{Path: path, Name: name, Mode: mode, Mtime: 1700000000, UID: 7, GID: 8, Symlink: link, Hardlinks: 1}, Inode: inoCounter}
	if mode&catalog.ModeTypeMask == catalog.ModeRegular {
		n.Size = int64(len(content))
		d := sha1.Sum(content)
		n.Hash = hash.Hash{Alg: hash.SHA1, Digest: d[:]}
		t.data[path] = content
	}
	if mode&catalog.ModeTypeMask == catalog.ModeSymlink {
		n.Size = int64(len(link))
	}
	t.nodes[path] = n
	return n
}

func (t *memTree) Info() RepoInfo { return t.info }

func (t *memTree) Lookup(ctx context.Context, path string) (*Node, error) {
	if n, ok := t.nodes[path]; ok {
		c := *n
		return &c, nil
	}
	return nil, fmt.Errorf("%s: %w", path, reader.ErrNotFound)
}

func (t *memTree) ReadDir(ctx context.Context, path string) ([]*Node, error) {
	var out []*Node
	for p, n := range t.nodes {
		if p != "" && p[:strings.LastIndexByte(p, '/')] == path {
			c := *n
			out = append(out, &c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

type memFile struct{ *bytes.Reader }

func (memFile) Close() error { return nil }

func (t *memTree) Open(ctx context.Context, n *Node) (File, error) {
	if t.stall[n.Path] {
		if t.ignored {
			time.Sleep(time.Hour)
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return memFile{bytes.NewReader(t.data[n.Path])}, nil
}

func (t *memTree) Chunks(ctx context.Context, n *Node) ([]catalog.Chunk, error) { return nil, nil }

func (t *memTree) Xattrs(ctx context.Context, n *Node) (map[string][]byte, error) {
	return t.xattrs[n.Path], nil
}

func (t *memTree) CatalogCount() int { return 1 }

func (t *memTree) Close() error {
	t.mu.Lock()
	t.closed = true
	t.mu.Unlock()
	return nil
}
