package initrd

import (
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/u-root/u-root/pkg/cpio"
)

// Kind classifies archive content for the size report.
type Kind int

const (
	KindOther Kind = iota
	KindInit
	KindModule
	KindBusybox
)

type entry struct {
	mode  uint64 // Linux st_mode incl. type bits
	data  []byte
	rdev  [2]uint64
	kind  Kind
	isDir bool
}

// Archive is an in-memory file tree that serialises deterministically.
type Archive struct {
	entries map[string]*entry
}

// NewArchive returns an archive with the base layout every ucvm initrd has.
func NewArchive() *Archive {
	a := &Archive{entries: map[string]*entry{}}
	for _, d := range []string{"proc", "sys", "dev", "run", "tmp", "mnt", "etc", "bin", "lib"} {
		a.Dir(d)
	}
	a.entries["dev/console"] = &entry{mode: cpio.S_IFCHR | 0o600, rdev: [2]uint64{5, 1}}
	return a
}

func clean(name string) string { return strings.TrimPrefix(path.Clean("/"+name), "/") }

// Dir adds a directory and its parents.
func (a *Archive) Dir(name string) {
	name = clean(name)
	for name != "" && name != "." {
		if _, ok := a.entries[name]; !ok {
			a.entries[name] = &entry{mode: cpio.S_IFDIR | 0o755, isDir: true}
		}
		name = path.Dir(name)
		if name == "." {
			break
		}
	}
}

// File adds a regular file (creating parent directories).
func (a *Archive) File(name string, data []byte, perm uint64, kind Kind) {
	name = clean(name)
	a.Dir(path.Dir(name))
	a.entries[name] = &entry{mode: cpio.S_IFREG | perm, data: data, kind: kind}
}

// Symlink adds a symbolic link name -> target (creating parent directories).
func (a *Archive) Symlink(name, target string) {
	name = clean(name)
	a.Dir(path.Dir(name))
	a.entries[name] = &entry{mode: cpio.S_IFLNK | 0o777, data: []byte(target)}
}

// Sizes sums file bytes per kind.
func (a *Archive) Sizes() map[Kind]int64 {
	m := map[Kind]int64{}
	for _, e := range a.entries {
		m[e.kind] += int64(len(e.data))
	}
	return m
}

// Names returns the sorted entry names.
func (a *Archive) Names() []string {
	names := make([]string, 0, len(a.entries))
	for n := range a.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// WriteTo writes the newc cpio, entries sorted by name, owner 0:0, all
// mtimes = mtime, inode numbers by position.
func (a *Archive) WriteCPIO(w io.Writer, mtime int64) error {
	rw := cpio.Newc.Writer(w)
	for i, n := range a.Names() {
		e := a.entries[n]
		nlink := uint64(1)
		if e.isDir {
			nlink = 2
		}
		info := cpio.Info{Ino: uint64(i + 1), Mode: e.mode, NLink: nlink, MTime: uint64(mtime),
			FileSize: uint64(len(e.data)), Rmajor: e.rdev[0], Rminor: e.rdev[1], Name: n}
		if err := rw.WriteRecord(cpio.StaticRecord(e.data, info)); err != nil {
			return fmt.Errorf("initrd: cpio %s: %w", n, err)
		}
	}
	return cpio.WriteTrailer(rw)
}
