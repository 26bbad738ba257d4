package mkext4

import (
	"errors"
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ioctlResizeFS is EXT4_IOC_RESIZE_FS, _IOW('f', 16, __u64).
const ioctlResizeFS = 0x40086610

// ErrShrink is returned when the requested size is below the current one.
var ErrShrink = errors.New("mkext4: ext4 cannot shrink online")

// Grow enlarges the ext4 file system mounted at mountpoint to newBlocks
// blocks (of the file system's block size) with EXT4_IOC_RESIZE_FS. The
// device must already have the new size (partition re-read, loop device
// capacity updated). The kernel adds the block groups; when the group
// descriptor table needs more blocks it converts the file system to
// meta_bg on the fly.
func Grow(mountpoint string, newBlocks uint64) error {
	d, err := os.Open(mountpoint)
	if err != nil {
		return fmt.Errorf("grow: %w", err)
	}
	defer d.Close()
	n := newBlocks
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, d.Fd(), ioctlResizeFS, uintptr(unsafe.Pointer(&n))); e != 0 {
		return fmt.Errorf("grow %s to %d blocks: EXT4_IOC_RESIZE_FS: %w", mountpoint, newBlocks, e)
	}
	return nil
}

// GrowToDevice grows the file system mounted at mountpoint from device
// dev (a block device or an image file) to the size of dev, and returns
// the old and new block counts (equal when there was nothing to do).
func GrowToDevice(mountpoint, dev string) (oldBlocks, newBlocks uint64, err error) {
	sb, err := ReadSuperblockFile(dev)
	if err != nil {
		return 0, 0, fmt.Errorf("grow: %w", err)
	}
	size, err := deviceSize(dev)
	if err != nil {
		return 0, 0, fmt.Errorf("grow: %w", err)
	}
	newBlocks = size / uint64(sb.BlockSize)
	switch {
	case newBlocks < sb.Blocks:
		return sb.Blocks, newBlocks, fmt.Errorf("%w: %s has %d blocks, the file system %d", ErrShrink, dev, newBlocks, sb.Blocks)
	case newBlocks == sb.Blocks:
		return sb.Blocks, newBlocks, nil
	}
	return sb.Blocks, newBlocks, Grow(mountpoint, newBlocks)
}

// deviceSize is the size in bytes of a block device or regular file.
func deviceSize(path string) (uint64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if st.Mode().IsRegular() {
		return uint64(st.Size()), nil
	}
	var n uint64
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, f.Fd(), unix.BLKGETSIZE64, uintptr(unsafe.Pointer(&n))); e != 0 {
		return 0, fmt.Errorf("%s: BLKGETSIZE64: %w", path, e)
	}
	return n, nil
}
