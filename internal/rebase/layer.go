package rebase

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Overlay xattrs, in the trusted namespace (root mounts) and the user
// namespace (mounts with the userxattr option).
var xattrPrefixes = []string{"trusted.overlay.", "user.overlay."}

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

// isWhiteout reports an overlayfs whiteout: a 0/0 character device, or a
// regular file carrying the overlay.whiteout xattr (kernel 6.7+).
func isWhiteout(path string, fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice != 0 {
		st, ok := fi.Sys().(*syscall.Stat_t)
		return ok && st.Rdev == 0
	}
	return fi.Mode().IsRegular() && fi.Size() == 0 && hasXattr(path, "whiteout")
}

func hasXattr(path, name string) bool {
	for _, p := range xattrPrefixes {
		if sz, err := unix.Lgetxattr(path, p+name, nil); err == nil && sz >= 0 {
			return true
		}
	}
	return false
}

// isOpaque reports a directory marked opaque (value "y"; "x" marks a
// directory holding xattr whiteouts, which is not opaque).
func isOpaque(path string) bool {
	for _, p := range xattrPrefixes {
		buf := make([]byte, 8)
		n, err := unix.Lgetxattr(path, p+"opaque", buf)
		if err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	return false
}

func clearOpaque(path string) error {
	var errs []error
	for _, p := range xattrPrefixes {
		if err := unix.Lremovexattr(path, p+"opaque"); err != nil && !errors.Is(err, unix.ENODATA) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
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
	case isWhiteout(path, fi):
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
		if isOpaque(path) {
			if err := clearOpaque(path); err != nil {
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
