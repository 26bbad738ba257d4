package formats

import (
	"context"
	"os"
	"path/filepath"
)

// Debian locations of the boot loader binaries.
const (
	isolinuxBin = "/usr/lib/ISOLINUX/isolinux.bin"
	isohdpfxBin = "/usr/lib/ISOLINUX/isohdpfx.bin"
	mbrBin      = "/usr/lib/syslinux/mbr/mbr.bin"
)

// GRUB modules of the UEFI loader: read the ISO (also from a disk: the
// partition tables), show the menu on the serial console and the firmware
// console, and boot Linux through the EFI handover (the kernel's EFI stub
// sets up the framebuffer itself). Without fat, echo, test and efi_gop,
// which the menu does not use: 61 KB less, which brought the ISO back
// under its 16 MB budget.
var grubModules = []string{"iso9660", "part_msdos", "part_gpt", "search", "search_fs_file",
	"configfile", "normal", "linux", "serial", "terminal"}

// grubEarlyCfg finds the boot medium by its sentinel and loads its menu.
const grubEarlyCfg = `search --no-floppy --file --set=root /` + Sentinel + `
set prefix=($root)/boot/grub
configfile ($root)/boot/grub/grub.cfg
`

// ISO writes a hybrid ISO 9660 image: El Torito BIOS entry (isolinux), El
// Torito UEFI entry (FAT image with GRUB's BOOTX64.EFI, which reads the
// kernel from the ISO file system, so the payload is stored once), and an
// isohybrid MBR so the same file boots from a disk.
func ISO(ctx context.Context, in *Input, out string) error {
	work, err := os.MkdirTemp(in.Work, "iso-")
	if err != nil {
		return err
	}
	efiImg := filepath.Join(work, "efi.img")
	if err := in.efiImage(ctx, work, efiImg); err != nil {
		return err
	}
	e := in.entries(ConsoleBoth)
	t := in.payload()
	t["isolinux/isolinux.bin"] = isolinuxBin
	for _, m := range syslinuxModules {
		t["isolinux/"+m] = filepath.Join(syslinuxModDir, m)
	}
	t["isolinux/isolinux.cfg"] = []byte(SyslinuxCfg(e))
	t["boot/grub/grub.cfg"] = []byte(GrubCfg(e))
	t["boot/efi.img"] = efiImg
	root := filepath.Join(work, "root")
	if err := in.stage(t, root); err != nil {
		return err
	}
	return in.run(ctx, "xorriso", "-as", "mkisofs", "-quiet", "-o", out, "-V", "UCVM", "-R", "-no-pad",
		"-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat",
		"-no-emul-boot", "-boot-load-size", "4", "-boot-info-table",
		"-eltorito-alt-boot", "-e", "boot/efi.img", "-no-emul-boot", "-isohybrid-gpt-basdat",
		"-isohybrid-mbr", isohdpfxBin,
		// No padding to a whole number of 1 MiB "cylinders" (up to 1 MiB of
		// zeros, only old BIOSes booting it from a USB disk care).
		"-partition_cyl_align", "off", root)
}

// efiImage makes the FAT El Torito image holding EFI/BOOT/BOOTX64.EFI.
func (in *Input) efiImage(ctx context.Context, work, out string) error {
	early := filepath.Join(work, "grub-early.cfg")
	if err := os.WriteFile(early, []byte(grubEarlyCfg), 0o644); err != nil {
		return err
	}
	efi := filepath.Join(work, "BOOTX64.EFI")
	args := append([]string{"-O", "x86_64-efi", "-o", efi, "-p", "/boot/grub", "-c", early}, grubModules...)
	if err := in.run(ctx, "grub-mkimage", args...); err != nil {
		return err
	}
	fi, err := os.Stat(efi)
	if err != nil {
		return err
	}
	// FAT12 overhead (boot sector, two FATs, root directory, the EFI and
	// EFI/BOOT directory clusters) fits in 64 sectors; every KiB counts for
	// the 16 MiB ISO budget.
	sectors := (fi.Size()+511)/512 + 64
	return in.fatImage(ctx, out, 0, sectors, "UCVMEFI", tree{"EFI/BOOT/BOOTX64.EFI": efi})
}
