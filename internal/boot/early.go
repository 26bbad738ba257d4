package boot

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

type mountSpec struct {
	src, target, fstype string
	flags               uintptr
	data                string
}

var earlyMounts = []mountSpec{
	{"proc", "/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"sysfs", "/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, ""},
	{"devtmpfs", "/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755"},
	{"devpts", "/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "gid=5,mode=0620"},
	{"tmpfs", "/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755"},
}

// EarlyMounts mounts proc, sysfs, devtmpfs, devpts and /run and creates the
// directories the boot needs. Already mounted file systems are fine.
func EarlyMounts() error {
	var errs []error
	for _, d := range []string{"/tmp", "/var/log", "/var/lock", "/root.rw", "/root.ro", "/root"} {
		_ = os.MkdirAll(d, 0o755)
	}
	_ = os.Chmod("/root", 0o700)
	for _, m := range earlyMounts {
		if err := os.MkdirAll(m.target, 0o755); err != nil {
			errs = append(errs, err)
			continue
		}
		err := unix.Mount(m.src, m.target, m.fstype, m.flags, m.data)
		if err != nil && !errors.Is(err, unix.EBUSY) {
			errs = append(errs, fmt.Errorf("mount %s on %s: %w", m.fstype, m.target, err))
		}
	}
	_ = os.MkdirAll("/etc", 0o755)
	_ = os.Symlink("/proc/mounts", "/etc/mtab")
	return errors.Join(errs...)
}

// PowerOff syncs the file systems and powers the machine off.
func PowerOff() {
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
}

// Reboot syncs the file systems and reboots the machine.
func Reboot() {
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
}

// SetHugePages turns transparent huge pages on or off for this process
// and the processes it starts (PR_SET_THP_DISABLE is inherited across
// fork and exec). The bootloader and the client daemon run without them:
// Debian's kernel has THP "always" and zeroes every page it hands out
// (init_on_alloc), so each 2 MiB region the Go heap touched was cleared
// whole; under emulation that cost 0.1 s of a warm boot and 0.25 s of a
// cold one (docs/benchmarks.md). The OS's init gets them back.
func SetHugePages(on bool) {
	off := uintptr(1)
	if on {
		off = 0
	}
	_ = unix.Prctl(unix.PR_SET_THP_DISABLE, off, 0, 0, 0)
}
