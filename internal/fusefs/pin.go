package fusefs

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// maxPinEntries bounds the walk of a pinned directory.
const maxPinEntries = 1_000_000

// pin keeps a file, or every file below a directory, in the cache: the
// objects are pinned first (so nothing fetched is evicted meanwhile), then
// downloaded and verified.
func (m *Mounted) pin(arg string) (string, error) {
	f := m.FS
	if f.cfg.Cache == nil {
		return "", errors.New("no cache")
	}
	p := cleanPath(arg)
	ctx, cancel := m.ctxTimeout()
	defer cancel()
	s := f.acquire()
	defer f.releaseSnap(s)
	files, err := collectFiles(ctx, s.tree, p)
	if err != nil {
		return "", fmt.Errorf("pin %s: %w", arg, err)
	}
	var objs []hash.Hash
	var size int64
	perFile := make([][]hash.Hash, len(files))
	for i, e := range files {
		hs, err := objectsOf(ctx, s.tree, e)
		if err != nil {
			return "", fmt.Errorf("pin %s: %w", e.Path, err)
		}
		perFile[i] = hs
		objs = append(objs, hs...)
		size += e.Size
	}
	if err := f.cfg.Cache.Pin(p, objs, size); err != nil {
		return "", err
	}
	for i, e := range files {
		if f.cached(perFile[i]) {
			continue // a warm boot pins its core set without reading it
		}
		if err := readThrough(ctx, s.tree, e); err != nil {
			f.cfg.Cache.Unpin(p)
			return "", fmt.Errorf("pin %s: fetch %s: %w", arg, e.Path, err)
		}
	}
	return fmt.Sprintf("pinned %s: %d files, %d objects, %d bytes\n", displayPath(p), len(files), len(objs), size), nil
}

// cached reports whether every object in hs is in the cache.
func (f *FS) cached(hs []hash.Hash) bool {
	for _, h := range hs {
		if !f.cfg.Cache.Contains(h) {
			return false
		}
	}
	return true
}

func displayPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// collectFiles returns the regular files at or below p.
func collectFiles(ctx context.Context, t Tree, p string) ([]*Node, error) {
	root, err := t.Lookup(ctx, p)
	if err != nil {
		return nil, err
	}
	var out []*Node
	queue, seen := []*Node{root}, 0
	for len(queue) > 0 {
		e := queue[0]
		queue = queue[1:]
		if seen++; seen > maxPinEntries {
			return nil, fmt.Errorf("more than %d entries below %s", maxPinEntries, displayPath(p))
		}
		switch {
		case e.IsRegular():
			out = append(out, e)
		case e.IsDir():
			kids, err := t.ReadDir(ctx, e.Path)
			if err != nil {
				return nil, err
			}
			queue = append(queue, kids...)
		}
	}
	return out, nil
}

// objectsOf returns the content objects of a regular file.
func objectsOf(ctx context.Context, t Tree, e *Node) ([]hash.Hash, error) {
	if !e.IsChunked() {
		if e.Hash.IsZero() {
			return nil, nil
		}
		return []hash.Hash{e.Hash}, nil
	}
	chunks, err := t.Chunks(ctx, e)
	if err != nil {
		return nil, err
	}
	hs := make([]hash.Hash, len(chunks))
	for i, c := range chunks {
		hs[i] = c.Hash
	}
	return hs, nil
}

// readThrough reads a whole file so that all its objects are cached.
func readThrough(ctx context.Context, t Tree, e *Node) error {
	file, err := t.Open(ctx, e)
	if err != nil {
		return err
	}
	defer file.Close()
	_, err = io.Copy(io.Discard, io.NewSectionReader(file, 0, e.Size))
	return err
}
