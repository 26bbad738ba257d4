package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// BlockDev is one block device as the kernel lists it in sysfs.
type BlockDev struct {
	Name      string // kernel name: vda, vda1, nvme0n1p2, mmcblk0p1, sr0
	Disk      string // whole disk holding it (== Name for disks)
	Partition int    // partition number, 0 for whole disks
	Size      int64  // bytes
	ReadOnly  bool
	Removable bool // of the whole disk
}

// Path returns the device node path under /dev.
func (b BlockDev) Path() string { return "/dev/" + b.Name }

// IsPartition reports whether b is a partition.
func (b BlockDev) IsPartition() bool { return b.Partition > 0 }

// ScanBlockDevs lists block devices from sysfs (sysRoot is "/sys" on a
// machine). Unlike the original's "ends in a digit" rule it uses the
// kernel's own partition attribute, so nvme0n1 and mmcblk0 are disks and
// nvme0n1p1 is a partition. Loop, ram and zram devices are skipped.
func ScanBlockDevs(sysRoot string) ([]BlockDev, error) {
	base := filepath.Join(sysRoot, "class", "block")
	ents, err := os.ReadDir(base)
	if err != nil {
		return nil, fmt.Errorf("list block devices: %w", err)
	}
	var devs []BlockDev
	for _, e := range ents {
		name := e.Name()
		if skipDevName(name) {
			continue
		}
		d := BlockDev{Name: name, Disk: name}
		dir := filepath.Join(base, name)
		if n, err := readInt(filepath.Join(dir, "partition")); err == nil && n > 0 {
			d.Partition = int(n)
			if p, err := filepath.EvalSymlinks(dir); err == nil {
				d.Disk = filepath.Base(filepath.Dir(p))
			}
		}
		if n, err := readInt(filepath.Join(dir, "size")); err == nil {
			d.Size = n * 512
		}
		if n, _ := readInt(filepath.Join(dir, "ro")); n == 1 {
			d.ReadOnly = true
		}
		if n, _ := readInt(filepath.Join(base, d.Disk, "removable")); n == 1 {
			d.Removable = true
		}
		devs = append(devs, d)
	}
	sort.Slice(devs, func(i, j int) bool { return devs[i].Name < devs[j].Name })
	return devs, nil
}

func skipDevName(name string) bool {
	for _, p := range []string{"loop", "ram", "zram", "dm-", "md", "nbd"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func readInt(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
}

// PartitionsOf returns the partitions of disk in devs.
func PartitionsOf(devs []BlockDev, disk string) []BlockDev {
	var out []BlockDev
	for _, d := range devs {
		if d.IsPartition() && d.Disk == disk {
			out = append(out, d)
		}
	}
	return out
}

// PartitionName returns the kernel name of partition n of disk: vda1,
// nvme0n1p1, mmcblk0p1 (a 'p' when the disk name ends in a digit).
func PartitionName(disk string, n int) string {
	if disk != "" && disk[len(disk)-1] >= '0' && disk[len(disk)-1] <= '9' {
		return fmt.Sprintf("%sp%d", disk, n)
	}
	return fmt.Sprintf("%s%d", disk, n)
}
