package rebase

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ucvm/ucvm/internal/overlay"
)

// layerStats counts what the layer pass did.
type layerStats struct {
	Restored  int // whiteouts removed
	Unopaqued int // opaque markers removed
	Preserved int // local copies kept (kept areas)
	Dropped   int // local copies deleted (new OS wins)
	Errors    int
}

// layerPass reconciles the upper dir with a new lower dir.
type layerPass struct {
	upper, lower string
	logf         func(format string, args ...any)
	st           layerStats
}

// kept reports whether a local copy at rel (slash path without leading
// slash) survives a rebase: inside etc, var (not var/lib/rpm or
// var/lib/dpkg) and root.
func kept(rel string) bool {
	under := func(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
	switch {
	case under(rel, "var/lib/rpm"), under(rel, "var/lib/dpkg"):
		return false
	case under(rel, "etc"), under(rel, "var"), under(rel, "root"):
		return true
	}
	return false
}

// lowerType returns the lower entry's info at rel, or nil if absent. The
// walk only descends through real lower directories, so no symlink of the
// lower tree is followed.
func (p *layerPass) lowerType(rel string) fs.FileInfo {
	fi, err := os.Lstat(filepath.Join(p.lower, rel))
	if err != nil {
		return nil
	}
	return fi
}

func (p *layerPass) fail(what, rel string, err error) {
	p.st.Errors++
	p.logf("error    /%s: %s: %v", rel, what, err)
}

// run walks the upper dir. lowerDir tells whether the lower counterpart of
// the directory is a directory (its children can exist).
func (p *layerPass) run(policy Policy) error {
	if _, err := os.Stat(p.upper); err != nil {
		return fmt.Errorf("upper dir: %w", err)
	}
	if fi, err := os.Stat(p.lower); err != nil || !fi.IsDir() {
		return fmt.Errorf("new OS tree %s is not a directory: %w", p.lower, err)
	}
	if policy != Rebase {
		p.logf("policy %s: upper layer left unchanged", policy)
		return nil
	}
	p.dir("", true)
	return nil
}

func (p *layerPass) dir(rel string, lowerDir bool) {
	entries, err := os.ReadDir(filepath.Join(p.upper, rel))
	if err != nil {
		p.fail("read dir", rel, err)
		return
	}
	for _, e := range entries {
		p.entry(filepath.Join(rel, e.Name()), lowerDir)
	}
}

func (p *layerPass) entry(rel string, lowerDir bool) {
	path := filepath.Join(p.upper, rel)
	fi, err := os.Lstat(path)
	if err != nil {
		p.fail("lstat", rel, err)
		return
	}
	var low fs.FileInfo
	if lowerDir {
		low = p.lowerType(rel)
	}
	switch {
	case overlay.IsWhiteout(path, fi):
		if low == nil {
			return // deleted file the new OS does not have either
		}
		if err := os.Remove(path); err != nil {
			p.fail("remove whiteout", rel, err)
			return
		}
		p.st.Restored++
		p.logf("restore  /%s (whiteout removed, the new OS version reappears)", rel)
	case fi.IsDir():
		p.upperDir(rel, path, low)
	case low == nil:
		// a local file the new OS does not have: always kept
	case kept(rel):
		p.st.Preserved++
		p.logf("preserve /%s", rel)
	default:
		p.drop(rel, path)
	}
}

func (p *layerPass) upperDir(rel, path string, low fs.FileInfo) {
	switch {
	case low == nil:
		p.dir(rel, false) // local directory: nothing below exists in the new OS
	case !low.IsDir() && !kept(rel):
		p.drop(rel, path) // the new OS has a non-directory here: it wins
	case !low.IsDir():
		p.st.Preserved++
		p.logf("preserve /%s (local directory over a non-directory of the new OS)", rel)
	default:
		if overlay.IsOpaque(path) {
			if err := overlay.ClearOpaque(path); err != nil {
				p.fail("clear opaque", rel, err)
			} else {
				p.st.Unopaqued++
				p.logf("restore  /%s/ (opaque marker removed, the new OS content shows through)", rel)
			}
		}
		p.dir(rel, true)
	}
}

func (p *layerPass) drop(rel, path string) {
	if err := os.RemoveAll(path); err != nil {
		p.fail("remove local copy", rel, err)
		return
	}
	p.st.Dropped++
	p.logf("rebase   /%s (local copy removed, the new OS version wins)", rel)
}
