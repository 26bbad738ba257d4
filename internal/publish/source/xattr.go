package source

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Limits of the catalog's xattr blob (one length byte each).
const (
	maxXattrName  = 255
	maxXattrValue = 255
	maxXattrs     = 255
)

// keepXattr reports whether an attribute is published (see package doc).
func keepXattr(name string) bool {
	return !strings.HasPrefix(name, "trusted.overlay.") && name != "security.selinux"
}

// checkXattrs validates attributes against the format limits.
func checkXattrs(where string, x map[string][]byte) error {
	if len(x) > maxXattrs {
		return fmt.Errorf("%s: %w: %d attributes (at most %d); remove some or publish without xattrs", where, ErrXattr, len(x), maxXattrs)
	}
	for k, v := range x {
		if k == "" || len(k) > maxXattrName || strings.IndexByte(k, 0) >= 0 {
			return fmt.Errorf("%s: %w: name %.40q is %d bytes (1..%d, no NUL); rename or remove it", where, ErrXattr, k, len(k), maxXattrName)
		}
		if len(v) > maxXattrValue {
			return fmt.Errorf("%s: %w: value of %q is %d bytes (at most %d); shorten or remove it", where, ErrXattr, k, len(v), maxXattrValue)
		}
	}
	return nil
}

// readXattrs returns the published attributes of a file without following
// symlinks; nil when there are none.
func readXattrs(p string) (map[string][]byte, error) {
	names, err := listXattrs(p)
	if err != nil || len(names) == 0 {
		return nil, err
	}
	out := map[string][]byte{}
	for _, n := range names {
		if !keepXattr(n) {
			continue
		}
		v, err := getXattr(p, n)
		if errors.Is(err, unix.ENODATA) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("%s: reading xattr %q: %w", p, n, err)
		}
		out[n] = v
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, checkXattrs(p, out)
}

func listXattrs(p string) ([]string, error) {
	buf := make([]byte, 1024)
	for range 8 {
		n, err := unix.Llistxattr(p, buf)
		switch {
		case errors.Is(err, unix.ERANGE):
			buf = make([]byte, len(buf)*4)
			continue
		case errors.Is(err, unix.ENOTSUP):
			return nil, nil
		case err != nil:
			return nil, fmt.Errorf("%s: listing xattrs: %w", p, err)
		}
		var names []string
		for _, b := range bytes.Split(buf[:n], []byte{0}) {
			if len(b) > 0 {
				names = append(names, string(b))
			}
		}
		return names, nil
	}
	return nil, fmt.Errorf("%s: listing xattrs: list keeps growing", p)
}

func getXattr(p, name string) ([]byte, error) {
	buf := make([]byte, 256)
	for range 8 {
		n, err := unix.Lgetxattr(p, name, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, len(buf)*16)
			continue
		}
		if err != nil {
			return nil, err
		}
		return append([]byte{}, buf[:n]...), nil
	}
	return nil, fmt.Errorf("value keeps growing")
}
