package bootpack

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ucvm/ucvm/internal/overlay"
	"github.com/ucvm/ucvm/internal/reader"
)

// A profile line of Build's list is a path relative to the OS root: a
// file (or symlink) the boot read, "dir/" for a directory the boot listed
// whose whole subtree goes into the image as an opaque directory, or
// "!name" for a name the boot looked up in vain (a whiteout). `ucvm
// bootpack --layer` reads such a profile off a boot layer.
type profile struct {
	files, complete, missing []string
}

// completeMaxEntries bounds one complete directory's subtree.
const completeMaxEntries = 4096

func parseProfile(list []string) profile {
	var p profile
	for _, l := range list {
		switch {
		case strings.HasPrefix(l, "!"):
			p.missing = append(p.missing, clean(l[1:]))
		case strings.HasSuffix(l, "/") && clean(l) != "":
			p.complete = append(p.complete, clean(l))
		default:
			p.files = append(p.files, clean(l))
		}
	}
	return p
}

func clean(rel string) string { return strings.Trim(path.Clean("/"+rel), "/") }

// Representable reports whether an image or a boot layer can hold n
// exactly: no extended attributes, no time before 1970, no hard links,
// no variant symlink, no device.
func Representable(n *reader.Node) bool {
	switch {
	case n.HasXattrs || n.Mtime < 0:
		return false
	case n.IsDir():
		return true
	case n.IsRegular():
		return n.LinkCount() <= 1
	case n.IsSymlink():
		return !strings.Contains(n.Symlink, "$(")
	}
	return false
}

// addComplete adds the whole subtree of every complete directory to have
// and returns the directories it marks opaque; a directory with an entry
// the image cannot hold exactly is skipped (reported as "dir/").
func addComplete(ctx context.Context, src Source, root string, dirs []string, have map[string]*reader.Node, st *Stats) (map[string]bool, error) {
	opaque := map[string]bool{}
	sort.Strings(dirs) // parents first: a directory below a complete one is complete
	for _, d := range dirs {
		if d == "" || d == FileName || under(d, opaque) {
			continue
		}
		sub, ok, err := subtree(ctx, src, root, d)
		if err != nil {
			return nil, err
		}
		if !ok {
			st.Skipped = append(st.Skipped, d+"/")
			continue
		}
		for rel, n := range sub {
			have[rel] = n
		}
		opaque[d] = true
	}
	return opaque, nil
}

// subtree lists d and everything below it, if the image can hold it all.
func subtree(ctx context.Context, src Source, root, d string) (map[string]*reader.Node, bool, error) {
	n, err := src.Lookup(ctx, path.Join(root, d))
	if errors.Is(err, reader.ErrNotFound) {
		return nil, false, nil
	} else if err != nil {
		return nil, false, err
	}
	if !n.IsDir() || !Representable(n) {
		return nil, false, nil
	}
	out := map[string]*reader.Node{d: n}
	queue := []string{d}
	for len(queue) > 0 {
		dir := queue[0]
		queue = queue[1:]
		kids, err := src.ReadDir(ctx, path.Join(root, dir))
		if err != nil {
			return nil, false, err
		}
		for _, k := range kids {
			rel := dir + "/" + k.Name
			if !Representable(k) || rel == FileName || len(out) >= completeMaxEntries {
				return nil, false, nil
			}
			out[rel] = k
			if k.IsDir() {
				queue = append(queue, rel)
			}
		}
	}
	return out, true, nil
}

// whiteouts returns the missing names that get a whiteout: names the
// revision does not have, in a directory it has, not below a complete
// directory (which answers for its names already).
func whiteouts(ctx context.Context, src Source, root string, missing []string, opaque map[string]bool, st *Stats) []string {
	var out []string
	for _, rel := range missing {
		if rel == "" || under(rel, opaque) {
			continue
		}
		if _, err := src.Lookup(ctx, path.Join(root, rel)); err == nil || !errors.Is(err, reader.ErrNotFound) {
			st.Skipped = append(st.Skipped, "!"+rel)
			continue
		}
		if p, err := src.Lookup(ctx, path.Join(root, path.Dir(rel))); err != nil || !p.IsDir() || !Representable(p) {
			st.Skipped = append(st.Skipped, "!"+rel)
			continue
		}
		out = append(out, rel)
	}
	return out
}

// under reports whether rel is below one of dirs.
func under(rel string, dirs map[string]bool) bool {
	for d := path.Dir(rel); d != "."; d = path.Dir(d) {
		if dirs[d] {
			return true
		}
	}
	return false
}

// ProfileFromLayer reads the profile of a boot off a boot layer (the OS
// directory of a layer written by the client at the end of that boot,
// e.g. bootlayer/<root hash>/os on the scratch disk): its files and
// symlinks, its opaque directories as "dir/" and its whiteouts as "!name".
func ProfileFromLayer(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			if overlay.IsOpaque(p) {
				out = append(out, rel+"/")
				return fs.SkipDir
			}
		case overlay.IsWhiteout(p, fi):
			out = append(out, "!"+rel)
		case fi.Mode().IsRegular(), fi.Mode()&fs.ModeSymlink != 0:
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("boot layer %s: %w", dir, err)
	}
	return out, nil
}
