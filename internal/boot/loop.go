package boot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/bootpack"
)

// LoopMount attaches file read-only to a free loop device and mounts it
// read-only as fstype at target. The device is configured to release
// itself when the file system is unmounted (LO_FLAGS_AUTOCLEAR).
func LoopMount(file, target, fstype string) error {
	dev, f, err := loopAttach(file)
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
func loopAttach(file string) (string, *os.File, error) {
	backing, err := os.Open(file)
	if err != nil {
		return "", nil, err
	}
	defer backing.Close()
	ctl, err := os.OpenFile("/dev/loop-control", os.O_RDWR, 0)
	if err != nil {
		return "", nil, fmt.Errorf("%w (is the loop module in the initrd?)", err)
	}
	defer ctl.Close()
	cfg := unix.LoopConfig{Fd: uint32(backing.Fd())}
	cfg.Info.Flags = unix.LO_FLAGS_READ_ONLY | unix.LO_FLAGS_AUTOCLEAR
	copy(cfg.Info.File_name[:len(cfg.Info.File_name)-1], file)
	for try := 0; try < 8; try++ { // another process may take the free device first
		n, err := unix.IoctlRetInt(int(ctl.Fd()), unix.LOOP_CTL_GET_FREE)
		if err != nil {
			return "", nil, fmt.Errorf("LOOP_CTL_GET_FREE: %w", err)
		}
		dev := fmt.Sprintf("/dev/loop%d", n)
		if err := ensureBlockNode(dev, n); err != nil {
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

// ensureBlockNode creates /dev/loopN when no devtmpfs made it (major 7).
func ensureBlockNode(dev string, n int) error {
	if _, err := os.Stat(dev); err == nil {
		return nil
	}
	return unix.Mknod(dev, unix.S_IFBLK|0o600, int(unix.Mkdev(7, uint32(n))))
}

// mountLayerImage mounts the image of a boot layer made from a boot pack
// (layer/pack.erofs) on its OS directory, lower. A layer of plain files
// has no image: nothing to do.
func mountLayerImage(layer, lower string) (bool, error) {
	img := filepath.Join(layer, bootpack.ImageName)
	if _, err := os.Stat(img); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return true, LoopMount(img, lower, bootpack.ImageType)
}
