package cache

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// noAnon is set once O_TMPFILE or linking through /proc failed: the
// cache then uses named temporary files in txn/.
var (
	noAnon    atomic.Bool
	procCheck sync.Once
)

// openAnon opens an unnamed file in dir (O_TMPFILE): one directory
// operation less per object than a named temporary file and a rename, and
// nothing to clean up after a crash. nil if unsupported.
func openAnon(dir string) *os.File {
	procCheck.Do(func() {
		if _, err := os.Stat("/proc/self/fd"); err != nil {
			noAnon.Store(true)
		}
	})
	if noAnon.Load() {
		return nil
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		noAnon.Store(true)
		return nil
	}
	return os.NewFile(uintptr(fd), dir+"/(unnamed)")
}

// linkAnon gives the unnamed file f the name dst; it fails with an error
// matching os.ErrExist if dst exists. linkat(AT_EMPTY_PATH) needs no /proc
// (the boot's client daemon stays in the initramfs, whose /proc is moved
// into the OS at the hand-over) but needs CAP_DAC_READ_SEARCH; without it
// the /proc/self/fd link is tried.
func linkAnon(f *os.File, dst string) error {
	err := unix.Linkat(int(f.Fd()), "", unix.AT_FDCWD, dst, unix.AT_EMPTY_PATH)
	if err == nil || err == unix.EEXIST {
		return linkErr("(fd)", dst, err)
	}
	src := "/proc/self/fd/" + strconv.Itoa(int(f.Fd()))
	err = unix.Linkat(unix.AT_FDCWD, src, unix.AT_FDCWD, dst, unix.AT_SYMLINK_FOLLOW)
	if err != nil && err != unix.EEXIST {
		if _, serr := os.Stat(src); serr != nil || err != unix.ENOENT {
			noAnon.Store(true) // e.g. /proc gone: named files from now on
		}
	}
	return linkErr(src, dst, err)
}

func linkErr(src, dst string, err error) error {
	if err == nil {
		return nil
	}
	return &os.LinkError{Op: "link", Old: src, New: dst, Err: err}
}
