// Package initrd builds the ucvm initramfs: a newc cpio (entries sorted,
// every time stamp = the build epoch, owner root) holding the static Go
// bootloader as /init, /version, /dev/console, the kernel modules of the
// dependency closure as plain .ko files with their load order in
// /lib/modules/<kver>/modules.order.ucvm and their driver table (device
// aliases, dependencies) in modules.devices.ucvm, the branch's public keys, CA
// certificates, /etc/ucvm/branch.json and optionally /bin/busybox —
// compressed with zstd or xz (CRC32 check, as the kernel's decoder needs).
// Two builds from the same inputs give identical bytes.
package initrd
