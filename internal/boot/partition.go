package boot

import (
	"errors"
	"fmt"
	"os"

	"github.com/diskfs/go-diskfs/backend"
	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/partition/gpt"
	"github.com/diskfs/go-diskfs/partition/mbr"
)

// Partitioning constants of the original (10root).
const (
	sector        = 512
	alignSectors  = 2048 // 1 MiB
	LimitedSize   = 20 << 30
	minFreeBytes  = 750 << 20
	safetyMargin  = 20 << 20
	mbrMaxSectors = 1<<32 - 1
)

// ErrNoSpace is returned when the boot disk has too little free space.
var ErrNoSpace = errors.New("no ephemeral storage, not enough free space on boot HD")

// PartitionPlan says how to partition: Limit > 0 (resize_rootfs=off)
// restricts the scratch partition to Limit bytes and gives the rest its own
// partition, as the original does.
type PartitionPlan struct {
	Limit int64
}

// PartitionEmptyDisk writes a new partition table to an empty disk (image
// file or device) of size bytes: MBR, or GPT for disks beyond the MBR's
// 2 TiB. It returns the number of the scratch partition (always 1).
func PartitionEmptyDisk(path string, size int64, plan PartitionPlan) (int, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("partition %s: %w", path, err)
	}
	defer f.Close()
	total := uint64(size / sector)
	first := uint64(alignSectors)
	ranges := splitRange(first, total-1, plan.Limit, total > mbrMaxSectors)
	w, _ := file.New(f, false).Writable()
	if total > mbrMaxSectors {
		t := &gpt.Table{ProtectiveMBR: true, LogicalSectorSize: sector, PhysicalSectorSize: sector}
		for i, r := range ranges {
			t.Partitions = append(t.Partitions, &gpt.Partition{Index: i + 1, Start: r[0], End: r[1],
				Size: (r[1] - r[0] + 1) * sector, Type: gpt.LinuxFilesystem, Name: "UROOT"})
		}
		err = t.Write(w, size)
	} else {
		t := &mbr.Table{LogicalSectorSize: sector, PhysicalSectorSize: sector}
		for _, r := range ranges {
			t.Partitions = append(t.Partitions, &mbr.Partition{Type: mbr.Linux, Start: uint32(r[0]), Size: uint32(r[1] - r[0] + 1)})
		}
		err = t.Write(w, size)
	}
	if err != nil {
		return 0, fmt.Errorf("partition %s: %w", path, err)
	}
	return 1, f.Sync()
}

// splitRange returns the sector ranges [first,last] for the scratch
// partition and, with a limit, a second one with the rest. The GPT case
// keeps 34 sectors for the backup table.
func splitRange(first, last uint64, limit int64, isGPT bool) [][2]uint64 {
	if isGPT {
		last -= 33
	}
	l := uint64(limit / sector)
	if limit > 0 && last-first+1 > l {
		return [][2]uint64{{first, first + l - 1}, {first + l, last}}
	}
	return [][2]uint64{{first, last}}
}

// AddPartition adds partition(s) in the free space after the last partition
// of a disk that already has an MBR or GPT (the boot disk). For GPT the
// backup table is moved to the real end of the disk first (sgdisk -e). It
// returns the number of the new scratch partition.
func AddPartition(path string, size int64, plan PartitionPlan) (int, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, fmt.Errorf("add partition on %s: %w", path, err)
	}
	defer f.Close()
	st := file.New(f, false)
	w, _ := st.Writable()
	total := uint64(size / sector)
	if g, err := gpt.Read(st, sector, sector); err == nil {
		n, err := addGPT(g, w, size, total, plan)
		if err != nil {
			return 0, fmt.Errorf("add partition on %s: %w", path, err)
		}
		return n, f.Sync()
	}
	m, err := mbr.Read(st, sector, sector)
	if err != nil {
		return 0, fmt.Errorf("add partition on %s: no MBR or GPT: %w", path, err)
	}
	n, err := addMBR(m, w, size, total, plan)
	if err != nil {
		return 0, fmt.Errorf("add partition on %s: %w", path, err)
	}
	return n, f.Sync()
}

func alignUp(s uint64) uint64 { return (s + alignSectors - 1) / alignSectors * alignSectors }

func checkFree(first, last uint64) error {
	if last < first || (last-first+1)*sector < minFreeBytes+safetyMargin {
		return fmt.Errorf("%w (%d MiB free, need %d MiB)", ErrNoSpace, freeMiB(first, last), (minFreeBytes+safetyMargin)>>20)
	}
	return nil
}

func freeMiB(first, last uint64) uint64 {
	if last < first {
		return 0
	}
	return (last - first + 1) * sector >> 20
}

func addMBR(t *mbr.Table, w backend.WritableFile, size int64, total uint64, plan PartitionPlan) (int, error) {
	var end uint64
	used := 0
	for i, p := range t.Partitions {
		if p.Type == mbr.Empty || p.Size == 0 {
			continue
		}
		used = i + 1
		end = max(end, uint64(p.Start)+uint64(p.Size))
	}
	total = min(total, mbrMaxSectors)
	first := alignUp(max(end, 1))
	last := total - 1
	if err := checkFree(first, last); err != nil {
		return 0, err
	}
	ranges := splitRange(first, last, plan.Limit, false)
	if used+len(ranges) > 4 {
		return 0, fmt.Errorf("%w: no free primary MBR slot", ErrNoSpace)
	}
	parts := t.Partitions[:used]
	for _, r := range ranges {
		parts = append(parts, &mbr.Partition{Index: len(parts) + 1, Type: mbr.Linux,
			Start: uint32(r[0]), Size: uint32(r[1] - r[0] + 1)})
	}
	t.Partitions = parts
	return used + 1, t.Write(w, size)
}

// addGPT rebuilds the table for the real disk size (moving the backup
// header to the end) and appends the new partition(s).
func addGPT(old *gpt.Table, w backend.WritableFile, size int64, total uint64, plan PartitionPlan) (int, error) {
	t := &gpt.Table{GUID: old.GUID, ProtectiveMBR: true, LogicalSectorSize: sector, PhysicalSectorSize: sector}
	var end uint64
	for _, p := range old.Partitions {
		if p.Start == 0 && p.End == 0 {
			continue
		}
		q := *p
		q.Index = len(t.Partitions) + 1
		t.Partitions = append(t.Partitions, &q)
		end = max(end, p.End+1)
	}
	first := alignUp(max(end, 34))
	last := total - 34
	if err := checkFree(first, last); err != nil {
		return 0, err
	}
	n := len(t.Partitions) + 1
	for _, r := range splitRange(first, last+33, plan.Limit, true) {
		t.Partitions = append(t.Partitions, &gpt.Partition{Index: len(t.Partitions) + 1, Start: r[0], End: r[1],
			Size: (r[1] - r[0] + 1) * sector, Type: gpt.LinuxFilesystem, Name: "UROOT"})
	}
	return n, t.Write(w, size)
}

// PartitionExtent returns the start and size in bytes of partition n.
func PartitionExtent(path string, n int) (int64, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	st := file.New(f, true)
	if g, err := gpt.Read(st, sector, sector); err == nil {
		for _, p := range g.Partitions {
			if p.Index == n {
				return int64(p.Start) * sector, int64(p.End-p.Start+1) * sector, nil
			}
		}
	} else if m, err := mbr.Read(st, sector, sector); err == nil && n >= 1 && n <= len(m.Partitions) {
		p := m.Partitions[n-1]
		return int64(p.Start) * sector, int64(p.Size) * sector, nil
	}
	return 0, 0, fmt.Errorf("partition %d not found on %s", n, path)
}

// GrowLastPartition extends partition n of an MBR disk to the end of the
// disk when it is the last one (the aux/resize marker). It returns the new
// size in bytes, or 0 when nothing changed.
func GrowLastPartition(path string, size int64, n int) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st := file.New(f, false)
	m, err := mbr.Read(st, sector, sector)
	if err != nil || n < 1 || n > len(m.Partitions) {
		return 0, fmt.Errorf("grow partition %d of %s: only MBR disks can be resized: %v", n, path, err)
	}
	p := m.Partitions[n-1]
	for _, q := range m.Partitions {
		if q.Type != mbr.Empty && q.Start > p.Start {
			return 0, fmt.Errorf("grow partition %d of %s: it is not the last partition", n, path)
		}
	}
	end := min(uint64(size/sector), mbrMaxSectors)
	if uint64(p.Start)+uint64(p.Size) >= end {
		return 0, nil
	}
	p.Size = uint32(end - uint64(p.Start))
	w, _ := st.Writable()
	if err := m.Write(w, size); err != nil {
		return 0, err
	}
	return int64(p.Size) * sector, f.Sync()
}
