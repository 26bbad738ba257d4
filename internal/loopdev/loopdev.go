package loopdev

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Options of a loop mount.
type Options struct {
	// Offset is where the file system starts in the file (a partition
	// of a disk image).
	Offset int64
	// Nodes is the directory of the device nodes ("" is /dev); missing
	// ones are made there: the client daemon's own /dev after the
	// hand-over is the emptied initramfs one, so it uses a directory on
	// the scratch disk.
	Nodes string
}

// Mount attaches file read-only to a free loop device and mounts it
// read-only as fstype at target. The device is configured to release
// itself when the file system is unmounted (LO_FLAGS_AUTOCLEAR).
func Mount(file, target, fstype string, o Options) error {
	if o.Nodes == "" {
		o.Nodes = "/dev"
	}
	dev, f, err := loopAttach(file, o)
	if err != nil {
		return fmt.Errorf("loop device for %s: %w", file, err)
	}
	// f stays open until the mount holds the device: with autoclear the
	// device is released at the last close.
	defer f.Close()
	if err := unix.Mount(dev, target, fstype, unix.MS_RDONLY, ""); err != nil {
		_ = unix.IoctlSetInt(int(f.Fd()), unix.LOOP_CLR_FD, 0)
		return fmt.Errorf("mount %s (%s on %s) at %s: %w", fstype, file, dev, target, err)
	}
	return nil
}

// loopAttach binds file to a free loop device and returns its path and an
// open descriptor of it.
func loopAttach(file string, o Options) (string, *os.File, error) {
	backing, err := os.Open(file)
	if err != nil {
		return "", nil, err
	}
	defer backing.Close()
	control := filepath.Join(o.Nodes, "loop-control")
	if err := ensureNode(control, unix.S_IFCHR, 10, 237); err != nil {
		return "", nil, err
	}
	ctl, err := os.OpenFile(control, os.O_RDWR, 0)
	if err != nil {
		return "", nil, fmt.Errorf("%w (is the loop module in the initrd?)", err)
	}
	defer ctl.Close()
	cfg := unix.LoopConfig{Fd: uint32(backing.Fd())}
	// Direct I/O: the loop device's own cache holds what the file system
	// reads; the file's page cache would hold it a second time. The
	// kernel falls back to buffered I/O where it cannot.
	cfg.Info.Flags = unix.LO_FLAGS_READ_ONLY | unix.LO_FLAGS_AUTOCLEAR | unix.LO_FLAGS_DIRECT_IO
	cfg.Info.Offset = uint64(o.Offset)
	copy(cfg.Info.File_name[:len(cfg.Info.File_name)-1], file)
	for try := 0; try < 8; try++ { // another process may take the free device first
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return "", nil, fmt.Errorf("LOOP_CTL_GET_FREE: %w", err)
		}
		dev := filepath.Join(o.Nodes, fmt.Sprintf("loop%d", n))
		if err := ensureNode(dev, unix.S_IFBLK, 7, uint32(n)); err != nil {
			return "", nil, err
		}
		f, err := os.OpenFile(dev, os.O_RDWR, 0)
		if err != nil {
			return "", nil, err
		}
		err = unix.IoctlLoopConfigure(int(f.Fd()), &cfg)
		if err == nil {
			return dev, f, nil
		}
		f.Close()
		if !errors.Is(err, unix.EBUSY) {
			return "", nil, fmt.Errorf("LOOP_CONFIGURE %s: %w", dev, err)
		}
	}
	return "", nil, errors.New("no free loop device after 8 tries")
}

// ensureNode creates the device node dev (and its directory) when no
// devtmpfs made it.
func ensureNode(dev string, kind uint32, major, minor uint32) error {
	if _, err := os.Stat(dev); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dev), 0o755); err != nil {
		return err
	}
	err := unix.Mknod(dev, kind|0o600, int(unix.Mkdev(major, minor)))
	if errors.Is(err, unix.EEXIST) {
		return nil
	}
	return err
}
