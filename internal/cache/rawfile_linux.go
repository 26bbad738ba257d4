package cache

import (
	"io"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// rawFile is a read-only cache file served by pread on a plain descriptor:
// an os.File costs four fcntl calls and a failed epoll registration per
// open, which is noticeable when every file read opens one object.
type rawFile struct{ fd atomic.Int64 }

func openRaw(path string) (*rawFile, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := &rawFile{}
	f.fd.Store(int64(fd))
	return f, nil
}

// ReadAt implements io.ReaderAt.
func (f *rawFile) ReadAt(p []byte, off int64) (int, error) {
	fd := int(f.fd.Load())
	if fd < 0 {
		return 0, unix.EBADF
	}
	total := 0
	for total < len(p) {
		n, err := unix.Pread(fd, p[total:], off+int64(total))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return total, err
		}
		if n == 0 {
			return total, io.EOF
		}
		total += n
	}
	return total, nil
}

// Close implements io.Closer; later calls do nothing.
func (f *rawFile) Close() error {
	if fd := f.fd.Swap(-1); fd >= 0 {
		return unix.Close(int(fd))
	}
	return nil
}
