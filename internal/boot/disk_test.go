package boot

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/partition/gpt"
	"github.com/diskfs/go-diskfs/partition/mbr"
)

func sparse(t *testing.T, size int64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func readMBR(t *testing.T, p string) *mbr.Table {
	f, _ := os.Open(p)
	defer f.Close()
	m, err := mbr.Read(file.New(f, true), 512, 512)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func used(m *mbr.Table) []*mbr.Partition {
	var out []*mbr.Partition
	for _, p := range m.Partitions {
		if p.Type != mbr.Empty {
			out = append(out, p)
		}
	}
	return out
}

func TestPartitionEmptyDisk(t *testing.T) {
	for _, tc := range []struct {
		name  string
		size  int64
		limit int64
		parts int
	}{
		{"whole disk", 4 << 30, 0, 1},
		{"resize_rootfs=off small disk", 4 << 30, LimitedSize, 1},
		{"resize_rootfs=off big disk", 30 << 30, LimitedSize, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := sparse(t, tc.size)
			n, err := PartitionEmptyDisk(p, tc.size, PartitionPlan{Limit: tc.limit})
			if err != nil || n != 1 {
				t.Fatalf("n=%d err=%v", n, err)
			}
			parts := used(readMBR(t, p))
			if len(parts) != tc.parts {
				t.Fatalf("%d partitions, want %d", len(parts), tc.parts)
			}
			if parts[0].Start != 2048 || parts[0].Type != mbr.Linux {
				t.Errorf("partition 1 %+v", parts[0])
			}
			end := int64(parts[len(parts)-1].Start+parts[len(parts)-1].Size) * 512
			if end != tc.size {
				t.Errorf("partitions end at %d, disk %d", end, tc.size)
			}
			if tc.parts == 2 && int64(parts[0].Size)*512 != LimitedSize {
				t.Errorf("limited partition %d bytes", int64(parts[0].Size)*512)
			}
		})
	}
}

func TestAddPartitionMBRBootDisk(t *testing.T) {
	size := int64(20 << 30)
	p := sparse(t, size)
	f, _ := os.OpenFile(p, os.O_RDWR, 0)
	boot := &mbr.Table{LogicalSectorSize: 512, PhysicalSectorSize: 512, Partitions: []*mbr.Partition{
		{Index: 1, Bootable: true, Type: mbr.Fat32LBA, Start: 1, Size: 23 * 2048}}}
	w, _ := file.New(f, false).Writable()
	if err := boot.Write(w, size); err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("BOOTCODE"), 0)
	f.Close()
	n, err := AddPartition(p, size, PartitionPlan{})
	if err != nil || n != 2 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	parts := used(readMBR(t, p))
	if len(parts) != 2 || !parts[0].Bootable || parts[1].Start != 49152 || int64(parts[1].Start+parts[1].Size)*512 != size {
		t.Fatalf("partitions %+v %+v", parts[0], parts[len(parts)-1])
	}
	b := make([]byte, 8)
	f, _ = os.Open(p)
	f.ReadAt(b, 0)
	f.Close()
	if string(b) != "BOOTCODE" {
		t.Error("boot code overwritten")
	}
	// Too small: a 512 MiB disk has no room for 750 MiB.
	small := sparse(t, 512<<20)
	if _, err := PartitionEmptyDisk(small, 512<<20, PartitionPlan{}); err != nil {
		t.Fatal(err)
	}
	if _, err := AddPartition(small, 512<<20, PartitionPlan{}); err == nil || !strings.Contains(err.Error(), "not enough free space") {
		t.Fatalf("want ErrNoSpace, got %v", err)
	}
}

func TestAddPartitionGPTGrownDisk(t *testing.T) {
	// A 64 MiB GPT image (ESP) copied onto a 4 GiB disk: the backup header
	// sits in the middle and must move to the end.
	small := int64(64 << 20)
	size := int64(4 << 30)
	p := sparse(t, size)
	f, _ := os.OpenFile(p, os.O_RDWR, 0)
	g := &gpt.Table{ProtectiveMBR: true, LogicalSectorSize: 512, PhysicalSectorSize: 512, Partitions: []*gpt.Partition{
		{Index: 1, Start: 2048, End: 120000, Size: (120000 - 2048 + 1) * 512, Type: gpt.EFISystemPartition, Name: "ESP"}}}
	w, _ := file.New(f, false).Writable()
	if err := g.Write(w, small); err != nil {
		t.Fatal(err)
	}
	f.Close()
	n, err := AddPartition(p, size, PartitionPlan{})
	if err != nil || n != 2 {
		t.Fatalf("n=%d err=%v", n, err)
	}
	f, _ = os.Open(p)
	defer f.Close()
	got, err := gpt.Read(file.New(f, true), 512, 512)
	if err != nil {
		t.Fatal(err)
	}
	if got.RecoveredFromBackup {
		t.Error("primary GPT invalid")
	}
	var ps []*gpt.Partition
	for _, q := range got.Partitions {
		if q.Start != 0 {
			ps = append(ps, q)
		}
	}
	if len(ps) != 2 || ps[0].Name != "ESP" || ps[1].Start != 120832 || ps[1].End != uint64(size/512)-34 {
		t.Fatalf("partitions %+v / %+v", ps[0], ps[len(ps)-1])
	}
	hdr := make([]byte, 8)
	f.ReadAt(hdr, size-512)
	if string(hdr) != "EFI PART" {
		t.Errorf("backup GPT header not at the end of the disk: %q", hdr)
	}
}

func TestFormatExt4AndProbe(t *testing.T) {
	size := int64(1 << 30)
	for _, tc := range []struct {
		name  string
		tools Tools
	}{
		{"mkext4", Tools{}},
		{"mke2fs", Tools{Mke2fs: "/sbin/mke2fs", E2fsck: "/sbin/e2fsck"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.tools.Mke2fs != "" {
				if _, err := os.Stat(tc.tools.Mke2fs); err != nil {
					t.Skip("no mke2fs")
				}
			}
			p := sparse(t, size)
			if info, _ := ProbeFS(p); info.Type != "" {
				t.Fatalf("empty image probed as %+v", info)
			}
			if _, err := tc.tools.FormatExt4(p, size, ScratchLabel); err != nil {
				t.Fatal(err)
			}
			info, err := ProbeFS(p)
			if err != nil || info.Type != "ext4" || info.Label != ScratchLabel {
				t.Fatalf("probe %+v %v", info, err)
			}
			e2fsck := RequireTool(t, "e2fsck")
			if out, err := exec.Command(e2fsck, "-fn", p).CombinedOutput(); err != nil {
				t.Fatalf("e2fsck -fn: %v\n%s", err, out)
			}
			out, _ := exec.Command("dumpe2fs", "-h", p).CombinedOutput()
			if !strings.Contains(string(out), "has_journal") {
				t.Errorf("no journal:\n%s", out)
			}
		})
	}
}

func TestFsckPreen(t *testing.T) {
	e2fsck := RequireTool(t, "e2fsck")
	p := sparse(t, 64<<20)
	tools := Tools{E2fsck: e2fsck}
	if _, err := tools.FormatExt4(p, 64<<20, ScratchLabel); err != nil {
		t.Fatal(err)
	}
	if out, err := tools.Fsck(p); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := (Tools{}).Fsck(p); err != ErrNoFsck {
		t.Fatalf("want ErrNoFsck, got %v", err)
	}
}

// RequireTool returns the path of a host tool or skips.
func RequireTool(t *testing.T, name string) string {
	t.Helper()
	for _, d := range []string{"/sbin", "/usr/sbin", "/usr/bin"} {
		if _, err := os.Stat(d + "/" + name); err == nil {
			return d + "/" + name
		}
	}
	t.Skipf("%s not installed", name)
	return ""
}

func TestProbeISOAndFAT(t *testing.T) {
	b := make([]byte, 64*1024)
	copy(b[32769:], "CD001")
	copy(b[32768+40:], "CONTEXT                         ")
	if got := ProbeFSBytes(b); got.Type != "iso9660" || got.Label != "CONTEXT" {
		t.Errorf("iso: %+v", got)
	}
	copy(b[32768+2048+1:], "BEA01")
	if got := ProbeFSBytes(b); got.Type != "udf" {
		t.Errorf("udf bridge: %+v", got)
	}
	f := make([]byte, 4096)
	f[510], f[511] = 0x55, 0xAA
	copy(f[82:], "FAT32   ")
	copy(f[71:], "CONFIG-2   ")
	if got := ProbeFSBytes(f); got.Type != "vfat" || got.Label != "CONFIG-2" {
		t.Errorf("fat32: %+v", got)
	}
}

// TestFormatGoSizes formats odd sizes with the pure-Go formatter.
func TestFormatGoSizes(t *testing.T) {
	e2fsck := RequireTool(t, "e2fsck")
	for _, size := range []int64{64 << 20, 1023<<20 + 4097, 1 << 30, 3<<30 + 40<<20} {
		p := sparse(t, size)
		how, err := (Tools{}).FormatExt4(p, size, ScratchLabel)
		if err != nil || how != "mkext4" {
			t.Fatalf("%d MiB: %s %v", size>>20, how, err)
		}
		if out, err := exec.Command(e2fsck, "-fn", p).CombinedOutput(); err != nil {
			t.Fatalf("%d MiB: e2fsck: %v\n%s", size>>20, err, out)
		}
		os.Remove(p)
	}
}

// TestCheckErrorState: the stand-in for e2fsck sees the error record
// that the kernel (here debugfs) leaves in the superblock.
func TestCheckErrorState(t *testing.T) {
	debugfs := RequireTool(t, "debugfs")
	p := sparse(t, 64<<20)
	if _, err := (Tools{}).FormatExt4(p, 64<<20, ScratchLabel); err != nil {
		t.Fatal(err)
	}
	msg, bad, err := CheckErrorState(p)
	if err != nil || bad || !strings.Contains(msg, "no errors") {
		t.Fatalf("fresh: %q %v %v", msg, bad, err)
	}
	for _, c := range []string{"ssv state 3", "ssv error_count 7", "ssv last_error_time 20261122120000", "ssv last_error_func ext4_lookup"} {
		if out, err := exec.Command(debugfs, "-w", "-R", c, p).CombinedOutput(); err != nil {
			t.Fatalf("debugfs %s: %v %s", c, err, out)
		}
	}
	msg, bad, err = CheckErrorState(p)
	if err != nil || !bad || !strings.Contains(msg, "7 errors, last 2026-11-22 12:00:00 in ext4_lookup") {
		t.Fatalf("with errors: %q %v %v", msg, bad, err)
	}
	if _, _, err := CheckErrorState(sparse(t, 1<<20)); err == nil {
		t.Fatal("no error for an empty device")
	}
}
