// Package kexec applies a staged bootloader update (spec §3 step 12kexec):
// `ucvm update --bootloader` unpacks an update pack (kernel, initrd and an
// apply file) into /mnt/.rw/kexec/; on every boot the bootloader calls
//
//	kexec.MaybeApply(rwDir, runningVersion, cmdline)
//
// early, right after mounting the scratch disk at rwDir. When
// rwDir/kexec/apply names a version other than runningVersion, MaybeApply
// loads the staged kernel and initrd with kexec_file_load(2) — command line
// from the apply file's cmdline= or else cmdline (pass /proc/cmdline) —,
// syncs and remounts rwDir read-only, and reboots into the new kernel with
// reboot(LINUX_REBOOT_CMD_KEXEC); it does not return then. The new
// bootloader runs the whole sequence again and, seeing its own version,
// continues. The boot image itself is never rewritten, so every cold boot
// of the old image kexecs again.
//
// MaybeApply returns ErrNothingToDo when there is no staged update or it is
// the running version, and another error when the update cannot be applied
// (bad apply file, missing files, a kernel refused by kexec_file_load, or a
// staged bootloader that came up reporting another version than its apply
// file: the marker kexec/attempted breaks that loop). The boot then goes on
// with the running bootloader.
//
// The apply file is four key=value lines as in the original:
//
//	version=<bootloader version>
//	kernel=<file name in kexec/>   (bzImage; an .xz-compressed one is inflated)
//	initrd=<file name in kexec/>
//	cmdline=<kernel command line>  (empty: keep the current one)
package kexec
