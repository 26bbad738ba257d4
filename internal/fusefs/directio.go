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

// copyAligned writes r to f in page-aligned blocks of directBuf, two
// buffers in turn: a writer goroutine waits for the disk with one while
// the other fills (with O_DIRECT every write waits for the device, and the
// pack's reader behind r downloads and verifies meanwhile).
func copyAligned(f *os.File, r io.Reader, direct bool) (int64, error) {
	var bufs [2][]byte
	for i := range bufs {
		b, err := unix.Mmap(-1, 0, directBuf, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
		if err != nil {
			return 0, err
		}
		defer unix.Munmap(b)
		bufs[i] = b
	}
	free, full := make(chan []byte, len(bufs)), make(chan []byte, len(bufs))
	for _, b := range bufs {
		free <- b
	}
	failed, werr := make(chan struct{}), make(chan error, 1)
	go func() { werr <- writeBlocks(f, direct, full, free, failed) }()
	total, rerr := fillBlocks(r, free, full, failed)
	close(full)
	if err := <-werr; err != nil {
		return total, err
	}
	return total, rerr
}

// fillBlocks reads r into free buffers and queues them on full until EOF
// or until the writer fails.
func fillBlocks(r io.Reader, free <-chan []byte, full chan<- []byte, failed <-chan struct{}) (int64, error) {
	var total int64
	for {
		var buf []byte
		select {
		case buf = <-free:
		case <-failed:
			return total, nil // the writer's error is the one to report
		}
		n, err := io.ReadFull(r, buf[:cap(buf)])
		if n > 0 {
			full <- buf[:n]
			total += int64(n)
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// writeBlocks writes the queued blocks to f and hands the buffers back;
// the tail that is not a multiple of 4 KiB leaves O_DIRECT. On an error it
// closes failed and drops the rest.
func writeBlocks(f *os.File, direct bool, full <-chan []byte, free chan<- []byte, failed chan struct{}) error {
	var err error
	for chunk := range full {
		if err == nil {
			if err = writeBlock(f, &direct, chunk); err != nil {
				close(failed)
			}
		}
		free <- chunk
	}
	return err
}

func writeBlock(f *os.File, direct *bool, chunk []byte) error {
	if *direct && len(chunk)%4096 != 0 {
		if err := setDirect(f, false); err != nil {
			return err
		}
		*direct = false
	}
	_, err := f.Write(chunk)
	return err
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
