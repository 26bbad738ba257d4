package source

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"
)

// Options tune how a source is read.
type Options struct {
	// Xattrs records extended attributes (CVMFS_INCLUDE_XATTRS).
	Xattrs bool
	// Workers is the number of goroutines reading directory-source file
	// contents (content calls run concurrently when > 1). Tar streams are
	// always read sequentially.
	Workers int
	// Stdin is read for the SOURCE "-" (default os.Stdin).
	Stdin io.Reader
}

// Dir is a directory SOURCE.
type Dir struct {
	root string
	opts Options
}

// NewDir returns the source for a directory (the root itself may be a
// symlink to a directory; nothing below it is followed).
func NewDir(root string, opts Options) (*Dir, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotSource, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("%w: %s is not a directory", ErrNotSource, root)
	}
	return &Dir{root: root, opts: opts}, nil
}

// Close does nothing for directories.
func (d *Dir) Close() error { return nil }

// Scan walks the directory, then delivers file contents (see package doc).
func (d *Dir) Scan(content ContentFunc) (*Tree, error) {
	rootSt, err := statFollow(d.root)
	if err != nil {
		return nil, err
	}
	root := d.entry(rootSt, "", "", d.root)
	if err := d.addXattrs(root, d.root); err != nil {
		return nil, err
	}
	all, err := d.walkAll(root)
	if err != nil {
		return nil, err
	}
	t, err := newTree(all)
	if err != nil {
		return nil, err
	}
	markContentOf(t)
	if content == nil {
		return t, nil
	}
	return t, d.deliver(t, content)
}

func statFollow(p string) (*unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return &st, nil
}

// walkAll lstats everything below the root; Options.Workers goroutines
// walk different directories in parallel.
func (d *Dir) walkAll(root *Entry) (map[string]*Entry, error) {
	var mu sync.Mutex
	var failed atomic.Bool
	all := map[string]*Entry{"": root}
	var g errgroup.Group
	g.SetLimit(max(1, d.opts.Workers))
	var walk func(repoDir, fsDir string) error
	walk = func(repoDir, fsDir string) error {
		if failed.Load() {
			return nil
		}
		entries, err := d.readDir(repoDir, fsDir)
		if err != nil {
			failed.Store(true)
			return err
		}
		mu.Lock()
		for _, e := range entries {
			all[e.Path] = e
		}
		mu.Unlock()
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			if !g.TryGo(func() error { return walk(e.Path, e.srcPath) }) {
				if err := walk(e.Path, e.srcPath); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := walk("", d.root)
	if gerr := g.Wait(); err == nil {
		err = gerr
	}
	return all, err
}

// readDir returns the entries of one directory.
func (d *Dir) readDir(repoDir, fsDir string) ([]*Entry, error) {
	f, err := os.Open(fsDir)
	if err != nil {
		return nil, fmt.Errorf("reading directory %s: %w", fsDir, err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("reading directory %s: %w", fsDir, err)
	}
	out := make([]*Entry, 0, len(names))
	for _, name := range names {
		fsPath := filepath.Join(fsDir, name)
		var st unix.Stat_t
		if err := unix.Lstat(fsPath, &st); err != nil {
			return nil, fmt.Errorf("%s: %w", fsPath, err)
		}
		e := d.entry(&st, repoDir+"/"+name, name, fsPath)
		if e.Type() == 'l' {
			target, err := os.Readlink(fsPath)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", fsPath, err)
			}
			e.Symlink, e.Size = target, int64(len(target))
		}
		if err := d.addXattrs(e, fsPath); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (d *Dir) entry(st *unix.Stat_t, repoPath, name, fsPath string) *Entry {
	e := &Entry{
		Path: repoPath, Name: name, Mode: st.Mode, Mtime: st.Mtim.Sec, MtimeNS: int32(st.Mtim.Nsec),
		UID: st.Uid, GID: st.Gid, LinkCount: 1, srcPath: fsPath,
	}
	switch e.Type() {
	case 'f':
		e.Size = st.Size
		if st.Nlink > 1 {
			e.inode = inodeKey{st.Dev, st.Ino}
		}
	case 'd':
		e.Size = st.Size
	case 'c', 'b':
		e.Rdev = st.Rdev
	}
	return e
}

func (d *Dir) addXattrs(e *Entry, fsPath string) error {
	if !d.opts.Xattrs {
		return nil
	}
	x, err := readXattrs(fsPath)
	e.Xattrs = x
	return err
}

// markContentOf points later hard-link set members at the first one.
func markContentOf(t *Tree) {
	first := map[inodeKey]string{}
	for _, e := range t.Entries {
		if e.inode == (inodeKey{}) {
			continue
		}
		if p, ok := first[e.inode]; ok {
			e.ContentOf = p
		} else {
			first[e.inode] = e.Path
		}
	}
}

// deliver calls content for every regular file that carries content.
func (d *Dir) deliver(t *Tree, content ContentFunc) error {
	g, ctx := errgroup.WithContext(context.Background())
	g.SetLimit(max(1, d.opts.Workers))
	for _, e := range t.Entries {
		if !e.IsRegular() || e.ContentOf != "" {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		if d.opts.Workers <= 1 {
			if err := d.deliverOne(e, content); err != nil {
				return err
			}
			continue
		}
		g.Go(func() error { return d.deliverOne(e, content) })
	}
	return g.Wait()
}

func (d *Dir) deliverOne(e *Entry, content ContentFunc) error {
	lf := &lazyFile{d: d, e: e}
	defer lf.close()
	return content(e, lf)
}

// lazyFile opens the file on the first Read, so a consumer that does not
// need the content (an unchanged file in an incremental publish) costs no
// I/O beyond the walk's lstat.
type lazyFile struct {
	d   *Dir
	e   *Entry
	f   *os.File
	r   io.Reader
	err error
}

func (l *lazyFile) Read(p []byte) (int, error) {
	if l.r == nil && l.err == nil {
		l.f, l.err = l.d.Open(l.e)
		if l.err == nil {
			l.r = &exactReader{r: io.LimitReader(l.f, l.e.Size), left: l.e.Size, name: l.e.srcPath}
		}
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.r.Read(p)
}

func (l *lazyFile) close() {
	if l.f != nil {
		l.f.Close()
	}
}

// Open opens the file of a regular entry for reading and checks that it is
// still the file that was scanned (ErrChanged otherwise).
func (d *Dir) Open(e *Entry) (*os.File, error) {
	f, err := os.OpenFile(e.srcPath, os.O_RDONLY|unix.O_NOFOLLOW, 0)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", e.srcPath, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		f.Close()
		return nil, fmt.Errorf("reading %s: %w", e.srcPath, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Size != e.Size || st.Mtim.Sec != e.Mtime || int32(st.Mtim.Nsec) != e.MtimeNS {
		f.Close()
		return nil, fmt.Errorf("%s: %w (size %d -> %d); publish again from a quiescent SOURCE", e.srcPath, ErrChanged, e.Size, st.Size)
	}
	return f, nil
}

// exactReader fails when the underlying data ends before left bytes.
type exactReader struct {
	r    io.Reader
	left int64
	name string
}

func (x *exactReader) Read(p []byte) (int, error) {
	n, err := x.r.Read(p)
	x.left -= int64(n)
	if err == io.EOF && x.left > 0 {
		return n, fmt.Errorf("%s: %w: %d bytes missing", x.name, ErrChanged, x.left)
	}
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("reading %s: %w", x.name, err)
	}
	return n, err
}
