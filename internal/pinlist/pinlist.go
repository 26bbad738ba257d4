package pinlist

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/reader"
)

// ErrNoObjects: the access log names no object download.
var ErrNoObjects = errors.New("the access log names no object download (is it the log of `ucvm serve` during a boot?)")

// maxEntries bounds the walk of the tree.
const maxEntries = 5_000_000

// Tree is the part of reader.Repo the walk needs.
type Tree interface {
	ReadDir(ctx context.Context, path string) ([]*reader.Node, error)
	Chunks(ctx context.Context, n *reader.Node) ([]catalog.Chunk, error)
}

// FetchedObjects reads a `ucvm serve` access log (slog text lines with
// path=/cvmfs/<fqrn>/data/xx/yyy… and status=200) and returns each object
// hash (its String form) with the position of its first download.
func FetchedObjects(r io.Reader) (map[string]int, error) {
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, " status=200") {
			continue
		}
		if h, ok := objectOf(field(line, "path")); ok {
			if _, dup := seen[h]; !dup {
				seen[h] = len(seen)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("access log: %w", err)
	}
	if len(seen) == 0 {
		return nil, ErrNoObjects
	}
	return seen, nil
}

// field returns the value of key=value in a slog text line ("" if absent).
func field(line, key string) string {
	i := strings.Index(line, " "+key+"=")
	if i < 0 {
		return ""
	}
	v := line[i+len(key)+2:]
	if j := strings.IndexByte(v, ' '); j >= 0 {
		v = v[:j]
	}
	return strings.Trim(v, `"`)
}

// objectOf turns …/data/xx/rest[suffix] into the object's hash string.
func objectOf(p string) (string, bool) {
	i := strings.LastIndex(p, "/data/")
	if i < 0 {
		return "", false
	}
	s := strings.Replace(p[i+len("/data/"):], "/", "", 1)
	if h, err := hash.Parse(s); err == nil {
		return h.String(), true
	}
	if len(s) > 1 {
		if h, err := hash.Parse(s[:len(s)-1]); err == nil { // object suffix (C, P, …)
			return h.String(), true
		}
	}
	return "", false
}

type hit struct {
	path  string
	first int
}

// Build walks the regular files below root and returns, relative to root,
// those whose objects are all in fetched, ordered by first download.
func Build(ctx context.Context, t Tree, root string, fetched map[string]int) ([]string, error) {
	var hits []hit
	queue, seen := []string{root}, 0
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		kids, err := t.ReadDir(ctx, dir)
		if err != nil {
			return nil, err
		}
		for _, n := range kids {
			if seen++; seen > maxEntries {
				return nil, fmt.Errorf("more than %d entries below %s", maxEntries, root)
			}
			switch {
			case n.IsDir():
				queue = append(queue, n.Path)
			case n.IsRegular() && n.Size > 0:
				first, ok, err := firstFetch(ctx, t, n, fetched)
				if err != nil {
					return nil, err
				}
				if ok {
					hits = append(hits, hit{strings.TrimPrefix(strings.TrimPrefix(n.Path, root), "/"), first})
				}
			}
		}
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].first != hits[j].first {
			return hits[i].first < hits[j].first
		}
		return hits[i].path < hits[j].path
	})
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.path
	}
	return out, nil
}

// firstFetch reports whether every object of n was fetched, and the
// earliest position among them.
func firstFetch(ctx context.Context, t Tree, n *reader.Node, fetched map[string]int) (int, bool, error) {
	hs := []string{n.Hash.String()}
	if n.IsChunked() {
		chunks, err := t.Chunks(ctx, n)
		if err != nil {
			return 0, false, err
		}
		hs = hs[:0]
		for _, c := range chunks {
			hs = append(hs, c.Hash.String())
		}
	}
	first := -1
	for _, h := range hs {
		pos, ok := fetched[h]
		if !ok {
			return 0, false, nil
		}
		if first < 0 || pos < first {
			first = pos
		}
	}
	return first, first >= 0, nil
}
