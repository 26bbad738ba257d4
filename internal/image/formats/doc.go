// Package formats writes the ucvm boot image formats from a kernel and an
// initrd: iso (isolinux BIOS + GRUB UEFI El Torito entries, hybrid), hdd
// (MBR + FAT + syslinux), hvm, fat (PV-GRUB menu.lst), gce, vhd, qcow2,
// vdi, vmdk (stream-optimized), ova, box and the update pack tar.
//
// Partition tables and archives are written in Go (go-diskfs, archive/tar);
// what Go cannot do comes from Debian tools: xorriso (El Torito + hybrid
// ISO), mtools (FAT), syslinux --install --offset (BIOS boot sectors),
// grub-mkimage (UEFI loader) and qemu-img (conversions). Every output is
// reproducible: times come from the build epoch and random identifiers
// (volume serials, VHD/VDI UUIDs, VMDK CIDs) are derived from the content.
package formats
