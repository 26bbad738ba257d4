package bootpack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/reader"
)

// Source is the part of reader.Repo a build reads.
type Source interface {
	Lookup(ctx context.Context, path string) (*reader.Node, error)
	ReadDir(ctx context.Context, path string) ([]*reader.Node, error)
	Open(ctx context.Context, n *reader.Node) (reader.File, error)
	Chunks(ctx context.Context, n *reader.Node) ([]catalog.Chunk, error)
}

// Stats counts what a build put into the pack.
type Stats struct {
	Files, Symlinks int
	Bytes           int64 // of the files, uncompressed
	Skipped         []string
}

// Build writes the pack of the files in list (paths relative to root, the
// OS tree in the repository) to w, in list order, followed by the
// symlinks of their directories that lead to them. Paths the revision
// does not have as plain regular files (missing, directories, files with
// extended attributes or hard links) are skipped and reported.
func Build(ctx context.Context, src Source, root string, list []string, w io.Writer, progress func(done, total int)) (Stats, error) {
	var st Stats
	pw, err := NewWriter(w)
	if err != nil {
		return st, err
	}
	root = "/" + strings.Trim(root, "/")
	files := map[string]bool{}
	for i, rel := range list {
		rel = strings.Trim(path.Clean("/"+rel), "/")
		if files[rel] || rel == "" {
			continue
		}
		n, err := src.Lookup(ctx, path.Join(root, rel))
		if err != nil || !n.IsRegular() || n.HasXattrs || n.LinkCount() > 1 {
			st.Skipped = append(st.Skipped, rel)
			continue
		}
		if err := addFile(ctx, src, pw, rel, n); err != nil {
			return st, err
		}
		files[rel] = true
		st.Files++
		st.Bytes += n.Size
		if progress != nil {
			progress(i+1, len(list))
		}
	}
	if st.Symlinks, err = addLinks(ctx, src, pw, root, files); err != nil {
		return st, err
	}
	return st, pw.Close()
}

func addFile(ctx context.Context, src Source, pw *Writer, rel string, n *reader.Node) error {
	chunks, err := src.Chunks(ctx, n)
	if err != nil {
		return err
	}
	f, err := src.Open(ctx, n)
	if err != nil {
		return fmt.Errorf("%s: %w", rel, err)
	}
	defer f.Close()
	m := Member{Name: rel, Size: n.Size, ID: Identity(n.Hash, chunks)}
	return pw.AddFile(m, io.NewSectionReader(f, 0, n.Size))
}

// addLinks adds the symlinks in the files' directories whose targets are
// files or links of the pack (chains like libx.so.1 -> libx.so.1.2 ->
// libx.so.1.2.3, three levels at most).
func addLinks(ctx context.Context, src Source, pw *Writer, root string, have map[string]bool) (int, error) {
	seen := map[string]bool{}
	var dirs []string
	for rel := range have {
		if d := path.Dir(rel); !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	sort.Strings(dirs) // a deterministic pack
	links := 0
	for pass := 0; pass < 3; pass++ {
		added := 0
		for _, dir := range dirs {
			kids, err := src.ReadDir(ctx, path.Join(root, dir))
			if err != nil {
				if errors.Is(err, reader.ErrNotFound) {
					continue
				}
				return links, err
			}
			for _, k := range kids {
				rel := strings.TrimPrefix(strings.TrimPrefix(k.Path, root), "/")
				if !k.IsSymlink() || have[rel] || k.HasXattrs || strings.Contains(k.Symlink, "$(") {
					continue
				}
				target := k.Symlink
				if !path.IsAbs(target) {
					target = path.Join(path.Dir(rel), target)
				} else {
					target = strings.TrimPrefix(path.Clean(target), "/")
				}
				if !have[target] {
					continue
				}
				if err := pw.AddSymlink(rel, k.Symlink); err != nil {
					return links, err
				}
				have[rel] = true
				added++
			}
		}
		links += added
		if added == 0 {
			break
		}
	}
	return links, nil
}
