package overlay

import (
	"errors"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// xattrPrefixes are the namespaces of the overlay xattrs: trusted (root
// mounts) and user (mounts with the userxattr option).
var xattrPrefixes = []string{"trusted.overlay.", "user.overlay."}

// OpaqueXattr is the mark MarkOpaque writes (a mount by root reads it).
const OpaqueXattr = "trusted.overlay.opaque"

// IsWhiteout reports a whiteout at path (fi is its Lstat).
func IsWhiteout(path string, fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeCharDevice != 0 {
		st, ok := fi.Sys().(*syscall.Stat_t)
		return ok && st.Rdev == 0
	}
	return fi.Mode().IsRegular() && fi.Size() == 0 && hasXattr(path, "whiteout")
}

// MakeWhiteout creates a whiteout (a character device 0/0) at path.
func MakeWhiteout(path string) error {
	return unix.Mknod(path, unix.S_IFCHR, 0)
}

func hasXattr(path, name string) bool {
	for _, p := range xattrPrefixes {
		if sz, err := unix.Lgetxattr(path, p+name, nil); err == nil && sz >= 0 {
			return true
		}
	}
	return false
}

// IsOpaque reports a directory marked opaque (value "y"; "x" marks a
// directory holding xattr whiteouts, which is not opaque).
func IsOpaque(path string) bool {
	for _, p := range xattrPrefixes {
		buf := make([]byte, 8)
		n, err := unix.Lgetxattr(path, p+"opaque", buf)
		if err == nil && n == 1 && buf[0] == 'y' {
			return true
		}
	}
	return false
}

// MarkOpaque marks the directory path opaque (needs CAP_SYS_ADMIN).
func MarkOpaque(path string) error {
	return unix.Lsetxattr(path, OpaqueXattr, []byte("y"), 0)
}

// ClearOpaque removes the opaque marks of path.
func ClearOpaque(path string) error {
	var errs []error
	for _, p := range xattrPrefixes {
		if err := unix.Lremovexattr(path, p+"opaque"); err != nil && !errors.Is(err, unix.ENODATA) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
