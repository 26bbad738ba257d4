package tree

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// FromDir lists a local directory tree (a publish source or a mount point).
func FromDir(root string) ([]Line, error) {
	var lines []Line
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		l, err := lineOf(p, rel)
		if err != nil {
			return err
		}
		lines = append(lines, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	Sort(lines)
	return lines, nil
}

func lineOf(p, rel string) (Line, error) {
	var st syscall.Stat_t
	if err := syscall.Lstat(p, &st); err != nil {
		return Line{}, err
	}
	l := Line{Path: filepath.ToSlash(rel), Mode: st.Mode & 0o7777, UID: st.Uid, GID: st.Gid, Mtime: st.Mtim.Sec, Data: "-"}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFDIR:
		l.Type = 'd'
	case syscall.S_IFLNK:
		l.Type = 'l'
		t, err := os.Readlink(p)
		if err != nil {
			return l, err
		}
		l.Size, l.Data = int64(len(t)), t
	case syscall.S_IFIFO:
		l.Type = 'p'
	case syscall.S_IFSOCK:
		l.Type = 's'
	case syscall.S_IFCHR, syscall.S_IFBLK:
		l.Type = 'c'
		if st.Mode&syscall.S_IFMT == syscall.S_IFBLK {
			l.Type = 'b'
		}
		l.Data = fmt.Sprintf("%d,%d", (st.Rdev>>8)&0xfff|(st.Rdev>>32)&^0xfff, st.Rdev&0xff|(st.Rdev>>12)&^0xff)
	default:
		l.Type = 'f'
		l.Size = st.Size
		sum, err := fileSHA1(p)
		if err != nil {
			return l, err
		}
		l.Data = sum
	}
	return l, nil
}

func fileSHA1(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha1.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
