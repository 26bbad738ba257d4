package boot

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// blkpgPartition mirrors struct blkpg_partition.
type blkpgPartition struct {
	Start   int64
	Length  int64
	Pno     int32
	Devname [64]byte
	Volname [64]byte
}

// blkpgIoctlArg mirrors struct blkpg_ioctl_arg.
type blkpgIoctlArg struct {
	Op      int32
	Flags   int32
	Datalen int32
	Data    uintptr
}

const (
	blkpgIoctl        = 0x1269
	blkpgAddPartition = 1
)

// blkpgAdd tells the kernel about one new partition (bytes).
func blkpgAdd(fd, part int, start, size int64) error {
	p := blkpgPartition{Start: start, Length: size, Pno: int32(part)}
	a := blkpgIoctlArg{Op: blkpgAddPartition, Datalen: int32(unsafe.Sizeof(p)), Data: uintptr(unsafe.Pointer(&p))}
	if _, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), blkpgIoctl, uintptr(unsafe.Pointer(&a))); errno != 0 {
		return fmt.Errorf("BLKPG add partition %d: %w", part, errno)
	}
	return nil
}
