// Package qemu is the test harness for booting ucvm kernels and images under
// QEMU (software emulation by default).
//
// A VM is described by a Config: either a kernel + initrd (the fast path boots
// an uncompressed vmlinux through QEMU's PVH entry with qboot.rom) or a disk
// image (-cdrom, -drive if=ide|virtio, UEFI through Debian's OVMF), extra
// disks, user-mode networking with hostfwd/guestfwd rules, and a kernel command
// line. Start runs qemu-system-x86_64 with -no-reboot and a hard timeout; the
// serial console is captured line by line with timestamps (time since the
// qemu exec) into memory and an optional log file. WaitFor blocks until a line
// matches. StartT wires all of that into a test: the VM is killed at cleanup
// and the console is dumped to t.Log when the test failed.
//
// Conventions measured in ../shared/spec/lab-notes.md: -cpu max (entropy for
// getrandom under TCG), cryptomgr.notests and panic=-1 on the command line
// (added by AppendDefaults), markers matched anywhere in a line because the
// serial output carries ANSI escapes.
package qemu
