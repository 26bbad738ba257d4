package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// resolveIn resolves p as if root were "/": absolute symlink targets restart
// at root, ".." never leaves it. Debian's /sbin/init is
// /sbin -> usr/sbin, init -> /lib/systemd/systemd, which a plain os.Stat
// from the initramfs would resolve against the initramfs' own /lib.
func resolveIn(root, p string) (string, error) {
	parts := strings.Split(strings.Trim(p, "/"), "/")
	cur := ""
	for links := 0; len(parts) > 0; {
		c := parts[0]
		parts = parts[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir("/" + cur)[1:]
			continue
		}
		next := strings.TrimPrefix(cur+"/"+c, "/")
		st, err := os.Lstat(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if st.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		t, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", err
		}
		if strings.HasPrefix(t, "/") {
			cur = ""
		}
		parts = append(strings.Split(strings.Trim(t, "/"), "/"), parts...)
	}
	return filepath.Join(root, cur), nil
}
