package fusefs

import (
	"bytes"
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// directBuf is the size of writeDirect's aligned buffer.
const directBuf = 1 << 20

// writeDirect copies r to a new file p with O_DIRECT, bypassing the page
// cache: a boot pack's image is written once and read through a loop
// device, so caching it on the way would only cost a copy and the
// clearing of its pages (init_on_alloc), 0.1 s under emulation. The tail
// that is not a multiple of 4 KiB, and file systems without O_DIRECT
// (tmpfs), take the ordinary path. head is written first.
func writeDirect(p string, head []byte, r io.Reader) (int64, error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY|unix.O_DIRECT, 0o444)
	direct := err == nil
	if errors.Is(err, unix.EINVAL) {
		f, err = os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o444)
	}
	if err != nil {
		return 0, err
	}
	n, err := copyAligned(f, io.MultiReader(bytes.NewReader(head), r), direct)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// copyAligned writes r to f in page-aligned blocks of directBuf.
func copyAligned(f *os.File, r io.Reader, direct bool) (int64, error) {
	buf, err := unix.Mmap(-1, 0, directBuf, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		return 0, err
	}
	defer unix.Munmap(buf)
	var total int64
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			chunk := buf[:n]
			if direct && n%4096 != 0 { // the tail: leave O_DIRECT
				if err := setDirect(f, false); err != nil {
					return total, err
				}
				direct = false
			}
			if _, err := f.Write(chunk); err != nil {
				return total, err
			}
			total += int64(n)
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}

func setDirect(f *os.File, on bool) error {
	fl, err := unix.FcntlInt(f.Fd(), unix.F_GETFL, 0)
	if err != nil {
		return err
	}
	if on {
		fl |= unix.O_DIRECT
	} else {
		fl &^= unix.O_DIRECT
	}
	_, err = unix.FcntlInt(f.Fd(), unix.F_SETFL, fl)
	return err
}
