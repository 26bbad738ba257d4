package bootvm

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/boot"
	"github.com/ucvm/ucvm/internal/qemu"
)

// TestScratchGoFormat boots the initrd without e2fsprogs: the first boot
// formats the scratch partition with internal/mkext4, the second reuses
// it (the kernel replays the journal, the superblock error record stands
// in for e2fsck), and after the disk grew from 1 GiB to 100 GiB the third
// grows partition and file system online (EXT4_IOC_RESIZE_FS, with the
// kernel's meta_bg conversion). Debian's e2fsck checks the result.
func TestScratchGoFormat(t *testing.T) {
	requireVM(t)
	r := newOSRepo(t)
	disk := sparseDisk(t, 1<<30)
	drives := []qemu.Drive{{File: disk}}

	vm := bootVM(t, r, vmOpts{disks: drives})
	marker(t, vm, `Partitioning /dev/vda\.\.\. check`)
	marker(t, vm, `Formatting /dev/vda1\.\.\. check`)
	marker(t, vm, `UCVM-OS-INIT release=release-1`)
	marker(t, vm, `UCVM-FSCK e2fsck not in the initrd: the kernel replays the journal at mount`)
	marker(t, vm, `UCVM-PERSIST 1`)
	waitOff(t, vm)
	noExt4Errors(t, vm)
	fsckPartition(t, disk, "")

	// Errors recorded in the superblock (as the kernel records them) are
	// reported on the console in place of an e2fsck run.
	recorded := debugfsPartition(t, disk, "ssv state 3", "ssv error_count 2", "ssv last_error_func ext4_lookup")
	vm = bootVM(t, r, vmOpts{disks: drives, append: "ucvmtest.resize"})
	if recorded {
		marker(t, vm, `\[WRN\] UROOT: file system has recorded errors \(state 0x3, 2 errors.*e2fsck -fy /dev/vda1`)
	}
	marker(t, vm, `UCVM-OS-INIT release=release-1`)
	marker(t, vm, `UCVM-PERSIST 2`)
	waitOff(t, vm)
	if recorded {
		// The kernel keeps the error state and refuses to resize online
		// until e2fsck (here debugfs) clears it.
		debugfsPartition(t, disk, "ssv state 1", "ssv error_count 0")
	} else {
		noExt4Errors(t, vm)
	}
	if c := vm.Console(); strings.Contains(c, "Formatting") || strings.Contains(c, "Partitioning") {
		t.Fatal("second boot formatted again")
	}

	if err := os.Truncate(disk, 100<<30); err != nil {
		t.Fatal(err)
	}
	vm = bootVM(t, r, vmOpts{disks: drives})
	marker(t, vm, `Resizing root partition /dev/vda1\.\.\. check`)
	marker(t, vm, `UCVM-PERSIST 3`)
	if df, _ := strconv.Atoi(marker(t, vm, `UCVM-DF (\d+)`)[1]); df < 90_000 {
		t.Errorf("scratch file system not grown to ~100 GiB: %d MiB", df)
	}
	waitOff(t, vm)
	noExt4Errors(t, vm)
	fsckPartition(t, disk, "meta_bg")
}

// noExt4Errors fails when the guest kernel logged ext4 errors (error
// messages pass the quiet log level).
func noExt4Errors(t *testing.T, vm *qemu.VM) {
	t.Helper()
	for _, l := range strings.Split(vm.Console(), "\n") {
		if strings.Contains(l, "EXT4-fs error") || strings.Contains(l, "EXT4-fs warning") {
			t.Errorf("guest kernel: %s", l)
		}
	}
}

// loopPartition attaches partition 1 of disk to a loop device (root and
// losetup needed; "" otherwise) and returns it with its detach function.
func loopPartition(t *testing.T, disk string, readOnly bool) (string, func()) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Log("not root: no loop device for the scratch partition")
		return "", func() {}
	}
	start, size, err := boot.PartitionExtent(disk, 1)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"-f", "--show", "-o", strconv.FormatInt(start, 10), "--sizelimit", strconv.FormatInt(size, 10), disk}
	if readOnly {
		args = append([]string{"-r"}, args...)
	}
	out, err := exec.Command("losetup", args...).Output()
	if err != nil {
		t.Logf("losetup: %v: no loop device for the scratch partition", err)
		return "", func() {}
	}
	loop := strings.TrimSpace(string(out))
	return loop, func() { exec.Command("losetup", "-d", loop).Run() }
}

// debugfsPartition runs debugfs -w commands on partition 1 of disk and
// reports whether it could.
func debugfsPartition(t *testing.T, disk string, cmds ...string) bool {
	t.Helper()
	loop, detach := loopPartition(t, disk, false)
	defer detach()
	if loop == "" {
		return false
	}
	for _, c := range cmds {
		if out, err := exec.Command("debugfs", "-w", "-R", c, loop).CombinedOutput(); err != nil {
			t.Fatalf("debugfs %s: %v\n%s", c, err, out)
		}
	}
	return true
}

// fsckPartition runs e2fsck -fn on partition 1 of disk through a
// read-only loop device, and checks that dumpe2fs lists feature.
func fsckPartition(t *testing.T, disk, feature string) {
	t.Helper()
	loop, detach := loopPartition(t, disk, true)
	defer detach()
	if loop == "" {
		return
	}
	if out, err := exec.Command("e2fsck", "-fn", loop).CombinedOutput(); err != nil {
		t.Fatalf("e2fsck -fn of the scratch partition: %v\n%s", err, out)
	}
	h, _ := exec.Command("dumpe2fs", "-h", loop).CombinedOutput()
	if !strings.Contains(string(h), "metadata_csum") || !strings.Contains(string(h), feature) {
		t.Fatalf("dumpe2fs -h:\n%s", h)
	}
	t.Logf("e2fsck -fn clean, %s", firstLine(string(h), "Block count:"))
}

func firstLine(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// BenchmarkScratchFormat measures, in the guest, formatting an empty
// 20 GiB scratch partition: the time between the completed
// "Partitioning" and "Formatting" console lines, with internal/mkext4
// (initrd without e2fsprogs) and with Debian's mke2fs (initrd with them)
// in the same iteration; also the whole scratch step (partition, format,
// mount, layout with the 50 MiB spacer) from the bootloader's timings.
func BenchmarkScratchFormat(b *testing.B) {
	requireVM(b)
	r := newOSRepo(b)
	var fmtGo, fmtE2, stepGo, stepE2 float64
	boot := func(e2fs bool) (format, step float64) {
		vm := bootVM(b, r, vmOpts{disks: []qemu.Drive{{File: sparseDisk(b, 20<<30)}}, e2fs: e2fs})
		p := vm.MustWaitFor(b, `Partitioning /dev/vda\.\.\. check`, 120e9)
		f := vm.MustWaitFor(b, `Formatting /dev/vda1\.\.\. check`, 120e9)
		vm.MustWaitFor(b, `UCVM-OS-DONE`, 120e9)
		waitOff(b, vm)
		for _, line := range vm.Lines() {
			if m := stepRE.FindStringSubmatch(line.Text); m != nil && m[1] == "scratch" {
				step, _ = strconv.ParseFloat(m[2], 64)
			}
		}
		return (f.At - p.At).Seconds(), step
	}
	for b.Loop() {
		f, s := boot(false)
		fmtGo, stepGo = fmtGo+f, stepGo+s
		f, s = boot(true)
		fmtE2, stepE2 = fmtE2+f, stepE2+s
	}
	n := float64(b.N)
	b.ReportMetric(fmtGo/n, "s/format-mkext4")
	b.ReportMetric(fmtE2/n, "s/format-mke2fs")
	b.ReportMetric(fmtGo/fmtE2, "mkext4/mke2fs")
	b.ReportMetric(stepGo/n, "s/step-scratch-mkext4")
	b.ReportMetric(stepE2/n, "s/step-scratch-mke2fs")
}
