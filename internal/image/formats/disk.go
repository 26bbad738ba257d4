package formats

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/diskfs/go-diskfs/partition/mbr"
)

const (
	mib       = 1 << 20
	partStart = 2048 // first sector of the boot partition (1 MiB)
)

// fatImage formats a FAT file system of sectors 512-byte sectors at byte
// offset off of file (creating or extending it) and copies t into it, in
// sorted order so the directory layout is reproducible (mtools).
func (in *Input) fatImage(ctx context.Context, file string, off, sectors int64, label string, t tree) error {
	f, err := os.OpenFile(file, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	fi, _ := f.Stat()
	if end := off + sectors*512; fi.Size() < end {
		err = f.Truncate(end)
	}
	f.Close()
	if err != nil {
		return err
	}
	img := file
	if off > 0 {
		img = fmt.Sprintf("%s@@%d", file, off)
	}
	if err := in.run(ctx, "mformat", "-i", img, "-T", fmt.Sprint(sectors), "-h", "64", "-s", "32",
		"-H", fmt.Sprint(off/512), "-N", fmt.Sprintf("%08x", in.seed("fat"+label)), "-v", label, "::"); err != nil {
		return err
	}
	stage, err := os.MkdirTemp(in.Work, "fat-")
	if err != nil {
		return err
	}
	if err := in.stage(t, stage); err != nil {
		return err
	}
	names := make([]string, 0, len(t))
	dirs := map[string]bool{}
	for n := range t {
		names = append(names, n)
		for d := path.Dir(n); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	dirList := make([]string, 0, len(dirs))
	for d := range dirs {
		dirList = append(dirList, d)
	}
	sort.Strings(dirList) // parents sort before children
	for _, d := range dirList {
		if err := in.run(ctx, "mmd", "-i", img, "::/"+d); err != nil {
			return err
		}
	}
	sort.Strings(names)
	for _, n := range names {
		if err := in.run(ctx, "mcopy", "-i", img, "-m", "-o", filepath.Join(stage, n), "::/"+n); err != nil {
			return err
		}
	}
	return nil
}

// fsSectors sizes a FAT file system for tree t with room to spare.
func fsSectors(t tree) (int64, error) {
	var n int64
	for name, v := range t {
		switch v := v.(type) {
		case string:
			fi, err := os.Stat(v)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", name, err)
			}
			n += fi.Size()
		case []byte:
			n += int64(len(v))
		}
		n += 4096 // cluster slack
	}
	n = n + n/20 + 2*mib
	return (n + 511) / 512, nil
}

// Disk writes a raw MBR disk with one bootable FAT partition at 1 MiB that
// boots through syslinux with the given console setting. Its size is a
// whole number of MiB (Azure requires it).
func Disk(ctx context.Context, in *Input, out string, c Console) error {
	e := in.entries(c)
	t := in.payload()
	for _, m := range syslinuxModules {
		t["syslinux/"+m] = filepath.Join(syslinuxModDir, m)
	}
	t["syslinux/syslinux.cfg"] = []byte(SyslinuxCfg(e))
	fsSec, err := fsSectors(t)
	if err != nil {
		return err
	}
	total := (partStart*512 + fsSec*512 + mib - 1) / mib * mib
	fsSec = total/512 - partStart
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(total); err != nil {
		return err
	}
	tbl := &mbr.Table{LogicalSectorSize: 512, PhysicalSectorSize: 512, Partitions: []*mbr.Partition{
		{Bootable: true, Type: mbr.Fat16bLBA, Start: partStart, Size: uint32(fsSec)},
	}}
	if err := tbl.Write(f, total); err != nil {
		return fmt.Errorf("partition table: %w", err)
	}
	if err := in.fatImage(ctx, out, partStart*512, fsSec, "UCVM", t); err != nil {
		return err
	}
	if err := in.run(ctx, "syslinux", "--install", "--offset", fmt.Sprint(partStart*512), "--directory", "/syslinux", out); err != nil {
		return err
	}
	code, err := os.ReadFile(mbrBin)
	if err != nil || len(code) < 440 {
		return fmt.Errorf("%w: %s: %v (apt-get install syslinux-common)", ErrTool, mbrBin, err)
	}
	if _, err := f.WriteAt(code[:440], 0); err != nil {
		return err
	}
	return f.Sync()
}

// HDD is the raw disk for BIOS hypervisors (tty0 and serial console).
func HDD(ctx context.Context, in *Input, out string) error { return Disk(ctx, in, out, ConsoleBoth) }

// HVM is the raw disk for EC2 HVM (serial console).
func HVM(ctx context.Context, in *Input, out string) error { return Disk(ctx, in, out, ConsoleSerial) }

// FAT is a bare FAT file system (no partition table) for Xen PV-GRUB, which
// reads boot/grub/menu.lst.
func FAT(ctx context.Context, in *Input, out string) error {
	t := in.payload()
	t["boot/grub/menu.lst"] = []byte(MenuLst(in.entries(ConsoleXen)))
	sec, err := fsSectors(t)
	if err != nil {
		return err
	}
	sec = (sec*512 + mib - 1) / mib * mib / 512
	return in.fatImage(ctx, out, 0, sec, "UCVM", t)
}
