package publish

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
)

// dirtab holds the rules of a .cvmfsdirtab file (spec §11.4): absolute
// positive patterns whose wildcards (* and ?) do not cross '/', and negative
// rules ("!" prefix) that may be relative and whose wildcards do.
type dirtab struct {
	positive []string
	negative []string
}

func parseDirtab(text string) (*dirtab, error) {
	d := &dirtab{}
	for i, ln := range strings.Split(text, "\n") {
		ln = strings.TrimSpace(ln)
		if ln == "" || strings.HasPrefix(ln, "#") {
			continue
		}
		if strings.HasPrefix(ln, "!") {
			d.negative = append(d.negative, strings.TrimSpace(ln[1:]))
			continue
		}
		if !strings.HasPrefix(ln, "/") {
			return nil, fmt.Errorf(".cvmfsdirtab line %d: %q: positive rules must be absolute paths such as /software/*", i+1, ln)
		}
		d.positive = append(d.positive, strings.TrimSuffix(ln, "/"))
	}
	return d, nil
}

// matches reports whether directory p ("/a/b") gets a nested catalog.
func (d *dirtab) matches(p string) bool {
	base := path.Base(p)
	if base == "." || base == ".." {
		return false
	}
	hit := false
	for _, pat := range d.positive {
		if strictMatch(pat, p) {
			hit = true
			break
		}
	}
	if !hit {
		return false
	}
	for _, pat := range d.negative {
		if relaxedMatch(pat, p) {
			return false
		}
	}
	return true
}

// strictMatch: wildcards stay within one path component.
func strictMatch(pat, p string) bool {
	ok, err := path.Match(escapeBrackets(pat), p)
	return err == nil && ok
}

// relaxedMatch: wildcards may cross '/'; relative patterns match any suffix.
func relaxedMatch(pat, p string) bool {
	if !strings.HasPrefix(pat, "/") && !strings.HasPrefix(pat, "*") {
		pat = "*/" + pat
	}
	return globCross(pat, p)
}

func escapeBrackets(s string) string {
	return strings.NewReplacer("[", `\[`, "]", `\]`).Replace(s)
}

// globCross matches * (any bytes, also '/') and ? (one byte); '\' escapes.
func globCross(pat, s string) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if globCross(pat[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			pat, s = pat[1:], s[1:]
			continue
		case '\\':
			if len(pat) > 1 {
				pat = pat[1:]
			}
		}
		if s == "" || s[0] != pat[0] {
			return false
		}
		pat, s = pat[1:], s[1:]
	}
	return s == ""
}

// applyDirtab adds empty .cvmfscatalog markers to matching directories
// (real directories only, not the root) that do not have one yet. A marker
// takes its directory's mtime, so an unchanged directory gives an unchanged
// catalog that the next publish reuses.
func applyDirtab(root *node, text string, cs *contents) error {
	d, err := parseDirtab(text)
	if err != nil {
		return err
	}
	return walk(root, func(n *node) error {
		if n == root || !n.isDir() || n.child(".cvmfscatalog") != nil || !d.matches(n.e.Path) {
			return nil
		}
		m := &node{parent: n, hashed: true, e: catalog.Entry{Path: n.e.Path + "/.cvmfscatalog", Name: ".cvmfscatalog",
			Mode: catalog.ModeRegular | 0o644, Mtime: n.e.Mtime, MtimeNs: -1, UID: n.e.UID, GID: n.e.GID}}
		if err := cs.process(m, strings.NewReader("")); err != nil {
			return err
		}
		i := sort.Search(len(n.children), func(i int) bool { return n.children[i].e.Name >= m.e.Name })
		n.children = append(n.children, nil)
		copy(n.children[i+1:], n.children[i:])
		n.children[i] = m
		return nil
	})
}
