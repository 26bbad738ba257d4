// Package bootvm holds the QEMU boot tests of the bootloader: a tiny OS
// (busybox-static and an /sbin/init script that prints markers and powers
// off through the shutdown hand-back) published into a repository served on
// 127.0.0.1 and reached by the guest through QEMU user networking
// (restrict=on, guestfwd only: the guest reaches nothing but loopback
// servers of the test), an initrd with the real bootloader, sparse scratch
// disks, context media and a metadata service.
package bootvm
