package boot

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/userdata"
)

// MediaDir is where devices are mounted read-only while looking for
// context.
const MediaDir = "/run/ucvm/media"

// bootSentinels mark the partition of the boot loader.
var bootSentinels = []string{".ucvm_boot_loader", ".ucernvm_boot_loader"}

// ScanStable scans until two consecutive scans agree (devices of slow
// buses appear a little after their driver loads), bounded by timeout.
func ScanStable(sysRoot string, timeout time.Duration) ([]BlockDev, error) {
	prev, err := ScanBlockDevs(sysRoot)
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		time.Sleep(150 * time.Millisecond)
		cur, err2 := ScanBlockDevs(sysRoot)
		if err2 == nil && reflect.DeepEqual(cur, prev) && len(cur) > 0 {
			return cur, nil
		}
		prev, err = cur, err2
	}
	return prev, err
}

// LateDisks reports whether the machine has controllers whose disks may
// appear after their driver loaded: SCSI hosts (sd, sr, virtio-scsi,
// Hyper-V, SATA), NVMe controllers or Xen block fronts.
func LateDisks(sysRoot string) bool {
	for _, c := range []string{"class/scsi_host", "class/nvme", "bus/xen/devices"} {
		if ents, err := os.ReadDir(filepath.Join(sysRoot, c)); err == nil && len(ents) > 0 {
			return true
		}
	}
	return false
}

// ProbeStates probes every device for the scratch chooser.
func ProbeStates(devs []BlockDev) []DevState {
	var out []DevState
	for _, d := range devs {
		s := DevState{Dev: d}
		s.FS, _ = ProbeFS(d.Path())
		if !d.IsPartition() && s.FS.Type == "" {
			s.HasTable = hasPartitionTable(d.Path())
		}
		out = append(out, s)
	}
	return out
}

func hasPartitionTable(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 1024)
	if n, _ := f.ReadAt(b, 0); n < 1024 {
		return false
	}
	if string(b[512:520]) == "EFI PART" {
		return true
	}
	return binary.LittleEndian.Uint16(b[510:]) == 0xAA55 && !bytes.Equal(b[446:510], make([]byte, 64))
}

// MountedMedium is a device mounted read-only for context.
type MountedMedium struct {
	userdata.Medium
	Boot bool // carries the boot-loader sentinel
}

// MountMedia mounts every iso9660, vfat, udf and (non-scratch) ext4 device
// read-only below MediaDir and marks the boot-loader partition in states.
func MountMedia(states []DevState) []MountedMedium {
	var out []MountedMedium
	for i := range states {
		s := &states[i]
		switch s.FS.Type {
		case "iso9660", "vfat", "udf":
		case "ext4":
			if s.FS.Label == ScratchLabel {
				continue
			}
		default:
			continue
		}
		dir := filepath.Join(MediaDir, s.Dev.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			continue
		}
		if err := unix.Mount(s.Dev.Path(), dir, s.FS.Type, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
			os.Remove(dir)
			continue
		}
		m := MountedMedium{Medium: userdata.Medium{Device: s.Dev.Path(), FSType: s.FS.Type, Dir: dir}}
		for _, sn := range bootSentinels {
			if exists(filepath.Join(dir, sn)) {
				m.Boot, s.BootLoader = true, true
			}
		}
		out = append(out, m)
	}
	return out
}

// UnmountMedia unmounts what MountMedia mounted.
func UnmountMedia(ms []MountedMedium) {
	for _, m := range ms {
		if unix.Unmount(m.Dir, 0) != nil {
			_ = unix.Unmount(m.Dir, unix.MNT_DETACH)
		}
		os.Remove(m.Dir)
	}
}

// Media returns the userdata view of mounted media.
func Media(ms []MountedMedium) []userdata.Medium {
	var out []userdata.Medium
	for _, m := range ms {
		out = append(out, m.Medium)
	}
	return out
}

// RereadPartitions asks the kernel to re-read the partition table of disk
// (BLKRRPART); when the disk is busy (a mounted boot partition) it adds
// the new partition with BLKPG instead.
func RereadPartitions(disk string, part int, start, size int64) error {
	f, err := os.OpenFile("/dev/"+disk, os.O_RDONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	err = unix.IoctlSetInt(int(f.Fd()), unix.BLKRRPART, 0)
	if err == nil || size == 0 {
		return err
	}
	return blkpgAdd(int(f.Fd()), part, start, size)
}
