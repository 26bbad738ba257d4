package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// stepScratch finds or creates the UROOT file system, checks it and mounts
// it on /root.rw with the layout of §3.1.
func (b *Boot) stepScratch() {
	if b.firstBoot {
		if err := b.createScratch(); err != nil {
			b.panic("%v", err)
			return
		}
	}
	b.Con.Start("Mounting root filesystem...")
	dev := b.scratch.Path()
	out, err := b.Tools.Fsck(dev)
	switch {
	case err == ErrNoFsck:
		b.logf("fsck", "%v: the kernel replays the journal at mount", err)
	case err != nil:
		b.logf("fsck", "%s", out)
		b.Con.Warn("file system check of %s: %v", dev, err)
	default:
		b.logf("fsck", "%s", out)
	}
	if err := os.MkdirAll(RootRW, 0o755); err != nil {
		b.panic("%v", err)
	}
	if err := unix.Mount(dev, RootRW, "ext4", 0, ""); err != nil {
		b.Con.Fail()
		b.panic("Unable to mount root device %s: %v", dev, err)
		return
	}
	if err := CreateLayout(RootRW, busybox); err != nil {
		b.Con.Warn("%v", err)
	}
	_ = writeAtomic(filepath.Join(RootRW, VersionFile), []byte(b.Version+"\n"), 0o644)
	b.Con.OK()
	if b.Tools.E2fsck == "" {
		b.checkErrorState(dev)
	}
}

// createScratch partitions and formats on the first boot.
func (b *Boot) createScratch() error {
	c := b.context()
	choice, err := ChooseScratch(b.states, c.On("use_boothd", false))
	if err != nil {
		return err
	}
	plan := PartitionPlan{}
	if !c.On("resize_rootfs", true) {
		plan.Limit = LimitedSize
	}
	b.logf("partition", "choice %s %s plan %+v", choice.Kind, choice.Dev.Name, plan)
	part := choice.Dev
	switch choice.Kind {
	case "empty-disk":
		b.Con.Start("Partitioning %s...", choice.Dev.Path())
		n, err := PartitionEmptyDisk(choice.Dev.Path(), choice.Dev.Size, plan)
		if err == nil {
			part, err = b.newPartition(choice.Dev, n)
		}
		if err != nil {
			b.Con.Fail()
			return fmt.Errorf("Unable to partition root disk %s: %w", choice.Dev.Path(), err)
		}
		b.Con.OK()
	case "boot-disk":
		b.Con.Start("Adding partition(s) to boot disk %s...", choice.Dev.Path())
		n, err := AddPartition(choice.Dev.Path(), choice.Dev.Size, plan)
		if err == nil {
			part, err = b.newPartition(choice.Dev, n)
		}
		if err != nil {
			b.Con.Fail()
			return err
		}
		b.Con.OK()
	}
	b.Con.Start("Formatting %s...", part.Path())
	start := time.Now()
	how, err := formatBounded(b.Tools, part, 10*time.Minute)
	b.logf("partition", "format %s with %s: %v in %v", part.Path(), how, err, time.Since(start))
	if err != nil {
		b.Con.Fail()
		return fmt.Errorf("Unable to create ext4 filesystem on %s: %w", part.Path(), err)
	}
	b.Con.OK()
	b.scratch = part
	return nil
}

// newPartition makes the kernel see partition n of disk and waits for it.
func (b *Boot) newPartition(disk BlockDev, n int) (BlockDev, error) {
	start, size, err := PartitionExtent(disk.Path(), n)
	if err != nil {
		return BlockDev{}, err
	}
	if err := RereadPartitions(disk.Name, n, start, size); err != nil {
		b.logf("partition", "re-read partitions of %s: %v", disk.Name, err)
	}
	name := PartitionName(disk.Name, n)
	if err := WaitForDev("/sys", "/dev", name, 5*time.Second); err != nil {
		return BlockDev{}, err
	}
	return BlockDev{Name: name, Disk: disk.Name, Partition: n, Size: size}, nil
}

// stepResize honours the aux/resize marker: grow the partition to the end
// of its disk and the file system with it.
func (b *Boot) stepResize() {
	marker := filepath.Join(RootRW, ResizeMarker)
	if !exists(marker) {
		return
	}
	dev := b.scratch
	if !dev.IsPartition() {
		os.Remove(marker)
		return
	}
	b.Con.Start("Resizing root partition %s...", dev.Path())
	if err := unix.Unmount(RootRW, 0); err != nil {
		b.Con.Fail()
		return
	}
	var disk BlockDev
	for _, s := range b.states {
		if s.Dev.Name == dev.Disk {
			disk = s.Dev
		}
	}
	newSize, err := GrowLastPartition(disk.Path(), disk.Size, dev.Partition)
	if err == nil && newSize > 0 {
		start, _, _ := PartitionExtent(disk.Path(), dev.Partition)
		if rerr := RereadPartitions(disk.Name, dev.Partition, start, newSize); rerr != nil {
			b.logf("resize", "re-read: %v", rerr)
		}
		if b.Tools.Resize2fs != "" {
			var out string
			out, err = b.Tools.GrowFS(dev.Path())
			b.logf("resize", "%s", out)
		}
	}
	if merr := unix.Mount(dev.Path(), RootRW, "ext4", 0, ""); merr != nil {
		b.panic("Unable to mount root device after resize: %v", merr)
		return
	}
	if err == nil && b.Tools.Resize2fs == "" {
		var out string
		out, err = GrowOnline(RootRW, dev.Path())
		b.logf("resize", "%s", out)
	}
	if err != nil {
		b.Con.Result("failed (%s)", strings.SplitN(err.Error(), "\n", 2)[0])
		return
	}
	os.Remove(marker)
	b.Con.OK()
}

// checkErrorState stands in for e2fsck: after the mount (journal
// replayed by the kernel) it reads the error record of the superblock and
// warns on the console when the file system has recorded errors.
func (b *Boot) checkErrorState(dev string) {
	msg, bad, err := CheckErrorState(dev)
	switch {
	case err != nil:
		b.logf("fsck", "superblock of %s: %v", dev, err)
	case bad:
		b.logf("fsck", "%s", msg)
		b.Con.Warn("%s; e2fsck is not in the initrd: run e2fsck -fy %s from a rescue system", msg, dev)
	default:
		b.logf("fsck", "%s", msg)
	}
}

// formatBounded formats with a time limit, so that a stuck device gives a
// clear error instead of a silent hang.
func formatBounded(t Tools, part BlockDev, limit time.Duration) (string, error) {
	type res struct {
		how string
		err error
	}
	ch := make(chan res, 1)
	go func() {
		how, err := t.FormatExt4(part.Path(), part.Size, ScratchLabel)
		ch <- res{how, err}
	}()
	select {
	case r := <-ch:
		return r.how, r.err
	case <-time.After(limit):
		return "", fmt.Errorf("formatting %s did not finish within %v", part.Path(), limit)
	}
}
