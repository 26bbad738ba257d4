package tree

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/ucvm/ucvm/internal/reader"
)

// FromRepo lists the opened revision, hashing file contents in parallel.
func FromRepo(ctx context.Context, r *reader.Repo) ([]Line, error) {
	var lines []Line
	var files []int
	var nodes []*reader.Node
	var walk func(dir string) error
	walk = func(dir string) error {
		entries, err := r.ReadDir(ctx, dir)
		if err != nil {
			return err
		}
		for _, n := range entries {
			l := Line{Path: strings.TrimPrefix(n.Path, "/"), Type: n.Type(), Mode: n.Perm(), UID: n.UID, GID: n.GID, Mtime: n.Mtime, Data: "-"}
			switch l.Type {
			case 'f':
				l.Size = n.Size
				files = append(files, len(lines))
				nodes = append(nodes, n)
			case 'l':
				l.Size = int64(len(n.Symlink))
				l.Data = n.Symlink
			case 'c', 'b':
				ma, mi := n.Rdev()
				l.Data = fmt.Sprintf("%d,%d", ma, mi)
			}
			lines = append(lines, l)
			if n.IsDir() {
				if err := walk(n.Path); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * runtime.GOMAXPROCS(0))
	for i, idx := range files {
		n := nodes[i]
		g.Go(func() error {
			sum, err := contentSHA1(gctx, r, n)
			if err != nil {
				return fmt.Errorf("%s: %w", n.Path, err)
			}
			lines[idx].Data = sum
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	Sort(lines)
	return lines, nil
}

func contentSHA1(ctx context.Context, r *reader.Repo, n *reader.Node) (string, error) {
	h := sha1.New()
	if err := r.Digest(ctx, n, h); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
