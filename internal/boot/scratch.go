package boot

import (
	"errors"
	"fmt"
	"time"
)

// ErrNoScratch is returned when no device can hold the scratch file system.
var ErrNoScratch = errors.New("unable to find empty partition")

// DevState is what the scratch-disk chooser needs to know about a device.
type DevState struct {
	Dev        BlockDev
	FS         FSInfo // probed file system ("" = none)
	HasTable   bool   // a whole disk with an MBR/GPT signature
	BootLoader bool   // partition carrying the boot loader (sentinel file)
}

// ScratchChoice is the decision of ChooseScratch.
type ScratchChoice struct {
	Kind   string // "existing", "empty-disk", "empty-partition", "boot-disk"
	Dev    BlockDev
	Exists bool // UROOT found: not the first boot
}

// ChooseScratch picks the scratch device in the original order: the
// partition (or disk) labelled UROOT; else an empty disk (unless
// use_boothd); else an empty partition; else the disk with the boot loader
// (a new partition will go into its free space). Read-only and removable
// devices are never chosen.
func ChooseScratch(states []DevState, useBootHD bool) (ScratchChoice, error) {
	hasParts := map[string]bool{}
	for _, s := range states {
		if s.Dev.IsPartition() {
			hasParts[s.Dev.Disk] = true
		}
	}
	var emptyDisk, emptyPart, bootDisk *BlockDev
	for i := range states {
		s := &states[i]
		if s.Dev.ReadOnly || s.Dev.Removable {
			continue
		}
		if s.FS.Type == "ext4" && s.FS.Label == ScratchLabel {
			return ScratchChoice{Kind: "existing", Dev: s.Dev, Exists: true}, nil
		}
		switch {
		case s.BootLoader && bootDisk == nil:
			d := BlockDev{Name: s.Dev.Disk, Disk: s.Dev.Disk}
			for _, o := range states {
				if o.Dev.Name == s.Dev.Disk {
					d = o.Dev
				}
			}
			bootDisk = &d
		case !s.Dev.IsPartition() && !hasParts[s.Dev.Name] && s.FS.Type == "" && !s.HasTable && emptyDisk == nil:
			emptyDisk = &s.Dev
		case s.Dev.IsPartition() && s.FS.Type == "" && emptyPart == nil:
			emptyPart = &s.Dev
		}
	}
	switch {
	case emptyDisk != nil && !useBootHD:
		return ScratchChoice{Kind: "empty-disk", Dev: *emptyDisk}, nil
	case emptyPart != nil:
		return ScratchChoice{Kind: "empty-partition", Dev: *emptyPart}, nil
	case bootDisk != nil:
		return ScratchChoice{Kind: "boot-disk", Dev: *bootDisk}, nil
	}
	return ScratchChoice{}, ErrNoScratch
}

// WaitForDev waits (bounded) until the kernel shows the named block device
// in sysfs and its /dev node exists.
func WaitForDev(sysRoot, devRoot, name string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		if exists(sysRoot+"/class/block/"+name) && exists(devRoot+"/"+name) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("device %s did not appear within %v", name, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
