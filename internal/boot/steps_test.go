package boot

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/insomniacslk/dhcp/dhcpv4"
)

func TestParseCmdline(t *testing.T) {
	c := ParseCmdline(`root=first cvmfs_repos=a.ch cvmfs_server=s1,s2 cvmdebug quiet cernvm_path=cvm4 x="a b" cvmfs_repos=b.ch` + "\n")
	if c.Get("cvmfs_repos") != "b.ch" || c.Get("cvmfs_server") != "s1,s2" || c.Get("x") != "a b" {
		t.Errorf("values: %+v", c)
	}
	if !c.Has("cvmdebug") || c.Has("cvmssh") || !c.Has("cernvm_path") {
		t.Errorf("flags: %+v", c)
	}
}

func TestLeaseConfig(t *testing.T) {
	ack, _ := dhcpv4.New(
		dhcpv4.WithYourIP(net.IPv4(10, 128, 0, 5)),
		dhcpv4.WithNetmask(net.CIDRMask(32, 32)),
		dhcpv4.WithRouter(net.IPv4(10, 128, 0, 1)),
		dhcpv4.WithDNS(net.IPv4(169, 254, 169, 254)),
		dhcpv4.WithServerIP(net.IPv4(169, 254, 169, 254)),
		dhcpv4.WithOption(dhcpv4.OptGeneric(dhcpv4.OptionInterfaceMTU, []byte{0x05, 0xb4})),
		dhcpv4.WithOption(dhcpv4.OptDomainName("c.example.internal")),
	)
	c := LeaseConfig("eth0", ack)
	if c.MTU != 1460 || c.Addr.String() != "10.128.0.5/32" {
		t.Fatalf("cfg %+v", c)
	}
	if len(c.Routes) != 2 || c.Routes[0].Dst.String() != "10.128.0.1/32" || c.Routes[0].Gw != nil || c.Routes[1].Dst != nil {
		t.Fatalf("/32 lease needs a host route to the router first: %+v", c.Routes)
	}
	if !strings.Contains(c.ResolvConf(), "nameserver 169.254.169.254") || !strings.Contains(c.ResolvConf(), "search c.example.internal") {
		t.Errorf("resolv.conf %q", c.ResolvConf())
	}
	_, dst, _ := net.ParseCIDR("192.168.5.0/24")
	ack.UpdateOption(dhcpv4.OptClasslessStaticRoute(
		&dhcpv4.Route{Dest: dst, Router: net.IPv4(10, 128, 0, 9)},
		&dhcpv4.Route{Dest: &net.IPNet{IP: net.IPv4zero.To4(), Mask: net.CIDRMask(0, 32)}, Router: net.IPv4(10, 128, 0, 1)}))
	c = LeaseConfig("eth0", ack)
	if len(c.Routes) != 2 || c.Routes[0].Dst.String() != "192.168.5.0/24" || c.Routes[1].Dst != nil {
		t.Fatalf("classless routes %+v", c.Routes)
	}
}

func TestOpenNebulaConfigs(t *testing.T) {
	vars := map[string]string{"ETH0_MAC": "02:00:0a:00:00:05", "DNS": "10.0.0.2", "ETH1_MAC": "02:00:c0:a8:01:07",
		"ETH1_IP": "192.168.1.70", "ETH1_MASK": "255.255.0.0", "ETH1_MTU": "9000", "ETH2_MAC": "aa:bb:cc:dd:ee:ff"}
	cfgs := OpenNebulaConfigs(vars, []IfaceInfo{{"eth0", "02:00:0A:00:00:05"}, {"eth1", "02:00:c0:a8:01:07"}})
	if len(cfgs) != 2 {
		t.Fatalf("%d configs", len(cfgs))
	}
	if c := cfgs[0]; c.Iface != "eth0" || c.Addr.String() != "10.0.0.5/24" || c.Routes[0].Gw.String() != "10.0.0.1" || c.DNS[0].String() != "10.0.0.2" {
		t.Errorf("eth0 %+v", c)
	}
	if c := cfgs[1]; c.Addr.String() != "192.168.1.70/16" || len(c.Routes) != 0 || c.MTU != 9000 {
		t.Errorf("eth1 %+v", c)
	}
	if OpenNebulaConfigs(map[string]string{"ETH0_MAC": "x"}, []IfaceInfo{{"eth0", "02:00:00:00:00:01"}}) != nil {
		t.Error("unmatched MAC configured")
	}
}

func TestChooseScratch(t *testing.T) {
	vda := BlockDev{Name: "vda", Disk: "vda"}
	vda1 := BlockDev{Name: "vda1", Disk: "vda", Partition: 1}
	nvme := BlockDev{Name: "nvme0n1", Disk: "nvme0n1"}
	nvmeP := BlockDev{Name: "nvme0n1p1", Disk: "nvme0n1", Partition: 1}
	sr0 := BlockDev{Name: "sr0", Disk: "sr0", Removable: true}
	ro := BlockDev{Name: "vdc", Disk: "vdc", ReadOnly: true}
	boot := []DevState{{Dev: vda, HasTable: true}, {Dev: vda1, FS: FSInfo{Type: "vfat"}, BootLoader: true}}
	tests := []struct {
		name   string
		states []DevState
		boothd bool
		kind   string
		dev    string
	}{
		{"existing UROOT", append(boot, DevState{Dev: nvmeP, FS: FSInfo{"ext4", "UROOT"}}), false, "existing", "nvme0n1p1"},
		{"empty nvme disk", append(boot, DevState{Dev: sr0}, DevState{Dev: ro}, DevState{Dev: nvme}), false, "empty-disk", "nvme0n1"},
		{"use_boothd", append(boot, DevState{Dev: nvme}), true, "boot-disk", "vda"},
		{"empty partition", append(boot, DevState{Dev: nvme, HasTable: true}, DevState{Dev: nvmeP}), false, "empty-partition", "nvme0n1p1"},
		{"boot disk last", append(boot, DevState{Dev: ro}, DevState{Dev: sr0}), false, "boot-disk", "vda"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ChooseScratch(tc.states, tc.boothd)
			if err != nil || c.Kind != tc.kind || c.Dev.Name != tc.dev {
				t.Fatalf("got %+v %v, want %s %s", c, err, tc.kind, tc.dev)
			}
		})
	}
	if _, err := ChooseScratch([]DevState{{Dev: sr0}, {Dev: ro}}, false); !errors.Is(err, ErrNoScratch) {
		t.Fatalf("want ErrNoScratch, got %v", err)
	}
}

func TestScanBlockDevs(t *testing.T) {
	sys := t.TempDir()
	mk := func(path, name, content string) {
		os.MkdirAll(filepath.Join(sys, path), 0o755)
		os.WriteFile(filepath.Join(sys, path, name), []byte(content), 0o644)
	}
	mk("devices/pci/nvme0n1", "size", "2097152")
	mk("devices/pci/nvme0n1", "removable", "0")
	mk("devices/pci/nvme0n1/nvme0n1p1", "partition", "1")
	mk("devices/pci/nvme0n1/nvme0n1p1", "size", "2048")
	mk("devices/pci/nvme0n1/nvme0n1p1", "ro", "1")
	mk("devices/ata/sr0", "removable", "1")
	mk("devices/virtual/loop0", "size", "0")
	os.MkdirAll(filepath.Join(sys, "class/block"), 0o755)
	for name, target := range map[string]string{"nvme0n1": "pci/nvme0n1", "nvme0n1p1": "pci/nvme0n1/nvme0n1p1", "sr0": "ata/sr0", "loop0": "virtual/loop0"} {
		os.Symlink("../../devices/"+target, filepath.Join(sys, "class/block", name))
	}
	devs, err := ScanBlockDevs(sys)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 3 {
		t.Fatalf("devs %+v", devs)
	}
	if d := devs[0]; d.Name != "nvme0n1" || d.IsPartition() || d.Size != 1<<30 {
		t.Errorf("%+v", d)
	}
	if d := devs[1]; d.Name != "nvme0n1p1" || d.Disk != "nvme0n1" || d.Partition != 1 || !d.ReadOnly {
		t.Errorf("%+v", d)
	}
	if d := devs[2]; !d.Removable {
		t.Errorf("%+v", d)
	}
	if PartitionName("nvme0n1", 2) != "nvme0n1p2" || PartitionName("vdb", 1) != "vdb1" || PartitionName("mmcblk0", 1) != "mmcblk0p1" {
		t.Error("partition names")
	}
}

func TestLoadModules(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, ModuleOrderFile), []byte("kernel/crypto/crc32c_generic.ko\nkernel/fs/ext4/ext4.ko\n../evil.ko\n\n"), 0o644)
	var got []string
	n, _, err := LoadModules(dir, func(p string) error { got = append(got, filepath.Base(p)); return nil }, nil)
	if n != 2 || err == nil || strings.Join(got, ",") != "crc32c_generic.ko,ext4.ko" {
		t.Fatalf("n=%d err=%v got=%v", n, err, got)
	}
}

// TestLoadModulesForDevices: with a driver table, drivers load only for
// present devices, a bus driver's devices appear for the next round, a
// module whose dependency was skipped is skipped, modules without device
// aliases always load, and without the device function everything loads.
func TestLoadModulesForDevices(t *testing.T) {
	dir := t.TempDir()
	order := []string{"kernel/lib/crc32c_generic.ko", "kernel/fs/ext4/ext4.ko", "kernel/drivers/virtio/virtio_pci.ko",
		"kernel/drivers/net/virtio_net.ko", "kernel/drivers/block/virtio_blk.ko", "kernel/drivers/hv/hv_vmbus.ko",
		"kernel/drivers/net/hyperv/hv_netvsc.ko", "kernel/drivers/net/ethernet/amazon/ena/ena.ko", "kernel/drivers/nvme/host/nvme-core.ko",
		"kernel/drivers/nvme/host/nvme.ko"}
	os.WriteFile(filepath.Join(dir, ModuleOrderFile), []byte(strings.Join(order, "\n")+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ModuleDevicesFile), []byte(`# drivers
alias pci:v00001AF4d*sv*sd*bc*sc*i* virtio_pci
alias virtio:d00000001v* virtio_net
alias virtio:d00000002v* virtio_blk
alias acpi:VMBUS:* hv_vmbus
alias vmbus:635161f83edfc546913ff2d2f965ed0e hv_netvsc
depends hv_netvsc hv_vmbus
alias pci:v00001D0Fd0000EC20sv*sd*bc*sc*i* ena
alias pci:v*d*sv*sd*bc01sc08i02* nvme
depends nvme nvme_core
`), 0o644)
	var got, asked []string
	loadAll := func(devices func() []string) ([]string, []string) {
		got = nil
		var onBuses func([]string) []string // as Modaliases: only the buses asked for
		if devices != nil {
			onBuses = func(buses []string) []string {
				asked = buses
				return slices.DeleteFunc(devices(), func(d string) bool { return !slices.Contains(buses, strings.Split(d, ":")[0]) })
			}
		}
		_, skipped, err := LoadModules(dir, func(p string) error {
			got = append(got, moduleName(p))
			return nil
		}, onBuses)
		if err != nil {
			t.Fatal(err)
		}
		return got, skipped
	}
	// A KVM guest: the virtio PCI functions first, then, once virtio_pci
	// is loaded, the virtio devices it creates.
	kvm := func() []string {
		devs := []string{"pci:v00008086d00007000sv00000000sd00000000bc06sc01i00", "pci:v00001AF4d00001000sv00001AF4sd00000001bc02sc00i00"}
		if slices.Contains(got, "virtio_pci") {
			devs = append(devs, "virtio:d00000001v00001AF4", "virtio:d00000002v00001AF4")
		}
		return devs
	}
	loaded, skipped := loadAll(kvm)
	if want := "crc32c_generic ext4 virtio_pci nvme_core virtio_net virtio_blk"; strings.Join(loaded, " ") != want {
		t.Errorf("KVM loaded %v, want %s", loaded, want)
	}
	if want := "hv_vmbus hv_netvsc ena nvme"; strings.Join(skipped, " ") != want {
		t.Errorf("KVM skipped %v, want %s", skipped, want)
	}
	if want := "pci virtio acpi vmbus"; strings.Join(asked, " ") != want { // the table's buses, not xen
		t.Errorf("buses read %v, want %s", asked, want)
	}
	// Hyper-V: the VMBus from ACPI, then its network device.
	hyperv := func() []string {
		devs := []string{"acpi:VMBUS:", "pci:v00001414d00005353sv00000000sd00000000bc03sc00i00"}
		if slices.Contains(got, "hv_vmbus") {
			devs = append(devs, "vmbus:635161f83edfc546913ff2d2f965ed0e")
		}
		return devs
	}
	if loaded, _ := loadAll(hyperv); strings.Join(loaded, " ") != "crc32c_generic ext4 hv_vmbus nvme_core hv_netvsc" {
		t.Errorf("Hyper-V loaded %v", loaded)
	}
	// EC2 Nitro: ENA and an NVMe disk.
	nitro := func() []string {
		return []string{"pci:v00001D0Fd0000EC20sv00001D0Fsd0000EC20bc02sc00i00", "pci:v00001D0Fd00008061sv00001D0Fsd00008061bc01sc08i02"}
	}
	if loaded, _ := loadAll(nitro); strings.Join(loaded, " ") != "crc32c_generic ext4 ena nvme_core nvme" {
		t.Errorf("Nitro loaded %v", loaded)
	}
	if loaded, skipped := loadAll(nil); len(loaded) != len(order) || len(skipped) != 0 {
		t.Errorf("ucvm.modules=all: loaded %v, skipped %v", loaded, skipped)
	}
}

func TestCreateLayoutAndSnapshot(t *testing.T) {
	rw := t.TempDir()
	if err := CreateLayout(rw, nil); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"persistent", "cache", "cvmfs", "aux/keys", "context", "ulogs", "aux/safety/inode_spacer127", "aux/uid_map"} {
		if !exists(filepath.Join(rw, d)) {
			t.Errorf("missing %s", d)
		}
	}
	if exists(filepath.Join(rw, "aux/safety/inode_spacer128")) {
		t.Error("128 spacers")
	}
	st, err := os.Stat(filepath.Join(rw, "aux/safety/50m"))
	if err != nil || st.Size() != 50<<20 {
		t.Fatalf("spacer %v %v", st, err)
	}
	if blocks := st.Sys().(*syscall.Stat_t).Blocks * 512; blocks < 50<<20 {
		t.Fatalf("spacer holds %d bytes of disk blocks, want 50 MiB (not a sparse file)", blocks)
	}
	if s, err := ReadSnapshot(rw); s != nil || err != nil {
		t.Fatal("snapshot before pinning")
	}
	WriteSnapshot(rw, Snapshot{RootHash: "abc123", Tag: "v1"})
	if s, _ := ReadSnapshot(rw); s == nil || s.RootHash != "abc123" || s.Tag != "v1" {
		t.Fatalf("snapshot %+v", s)
	}
	os.WriteFile(filepath.Join(rw, ForceTagFile), []byte("v2\n"), 0o644)
	if ReadForceTag(rw) != "v2" {
		t.Error("force tag")
	}
}

type tarEntry struct {
	name, link string
	typ        byte
	body       string
}

func tgz(t *testing.T, entries ...tarEntry) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Linkname: e.link, Typeflag: e.typ, Mode: 0o644, Size: int64(len(e.body))}
		if e.typ == tar.TypeDir {
			h.Mode = 0o755
		}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		tw.WriteHeader(h)
		tw.Write([]byte(e.body))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestExtractTarGz(t *testing.T) {
	root := t.TempDir()
	good := tgz(t, tarEntry{name: "etc/", typ: tar.TypeDir}, tarEntry{name: "etc/motd", typ: tar.TypeReg, body: "hi"},
		tarEntry{name: "./etc/link", link: "motd", typ: tar.TypeSymlink}, tarEntry{name: "etc/hard", link: "etc/motd", typ: tar.TypeLink})
	names, err := ExtractTarGz(good, root)
	if err != nil || len(names) != 4 {
		t.Fatalf("%v %v", names, err)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "etc/link")); string(b) != "hi" {
		t.Error("symlink content")
	}
	for name, bad := range map[string][]byte{
		"absolute":       tgz(t, tarEntry{name: "/etc/passwd", typ: tar.TypeReg, body: "x"}),
		"dotdot":         tgz(t, tarEntry{name: "a/../../escape", typ: tar.TypeReg, body: "x"}),
		"escaping link":  tgz(t, tarEntry{name: "l", link: "../../outside", typ: tar.TypeSymlink}),
		"absolute link":  tgz(t, tarEntry{name: "l", link: "/etc", typ: tar.TypeSymlink}),
		"hard link out":  tgz(t, tarEntry{name: "h", link: "../x", typ: tar.TypeLink}),
		"device":         tgz(t, tarEntry{name: "dev", typ: tar.TypeChar}),
		"late bad entry": tgz(t, tarEntry{name: "ok", typ: tar.TypeReg, body: "x"}, tarEntry{name: "../bad", typ: tar.TypeReg}),
	} {
		t.Run(name, func(t *testing.T) {
			r := t.TempDir()
			if _, err := ExtractTarGz(bad, r); !errors.Is(err, ErrUnsafeArchive) {
				t.Fatalf("want ErrUnsafeArchive, got %v", err)
			}
			if ents, _ := os.ReadDir(r); len(ents) != 0 {
				t.Fatalf("bad archive wrote %v", ents)
			}
		})
	}
	if _, err := ExtractTarGz([]byte("not gzip"), t.TempDir()); err == nil {
		t.Fatal("garbage accepted")
	}
	if _, err := DecodeInject("%%%"); err == nil {
		t.Fatal("bad base64 accepted")
	}
}

func FuzzExtractTarGz(f *testing.F) {
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		ExtractTarGz(data, root)
		filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
			if err == nil && !strings.HasPrefix(p, root) {
				t.Fatalf("wrote outside root: %s", p)
			}
			return nil
		})
	})
}

// TestLateDisks: only SCSI, NVMe and Xen controllers make the first boot
// wait for late disks; virtio-blk alone does not.
func TestLateDisks(t *testing.T) {
	sys := t.TempDir()
	os.MkdirAll(filepath.Join(sys, "class/block/vda"), 0o755)
	os.MkdirAll(filepath.Join(sys, "class/scsi_host"), 0o755)
	if LateDisks(sys) {
		t.Fatal("virtio-blk only: no late disks expected")
	}
	for _, c := range []string{"class/scsi_host/host0", "class/nvme/nvme0", "bus/xen/devices/vbd-768"} {
		s := t.TempDir()
		os.MkdirAll(filepath.Join(s, c), 0o755)
		if !LateDisks(s) {
			t.Errorf("%s: late disks expected", c)
		}
	}
}

// TestLoadModulesLater: later modules, and libraries only they need, stay
// out of the first pass; a library another module needs too does not.
// LoadLater then loads them with their dependencies, in order, except
// what is loaded already.
func TestLoadModulesLater(t *testing.T) {
	dir := t.TempDir()
	order := []string{"kernel/lib/crc16.ko", "kernel/lib/libcrc32c.ko", "kernel/lib/shared.ko", "kernel/fs/ext4/ext4.ko",
		"kernel/drivers/block/loop.ko", "kernel/fs/erofs/erofs.ko"}
	os.WriteFile(filepath.Join(dir, ModuleOrderFile), []byte(strings.Join(order, "\n")+"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, ModuleDevicesFile), []byte("depends ext4 crc16 shared\ndepends erofs libcrc32c shared\n"), 0o644)
	var got []string
	load := func(p string) error { got = append(got, moduleName(p)); return nil }
	n, skipped, err := LoadModules(dir, load, func([]string) []string { return nil }, "loop", "erofs")
	if err != nil || n != 3 || len(skipped) != 0 || strings.Join(got, " ") != "crc16 shared ext4" {
		t.Fatalf("first pass: %d %v %v, loaded %v", n, skipped, err, got)
	}
	got = nil
	loaded := func(name string) bool { return name == "shared" }
	if err := LoadLater(dir, load, loaded, "loop", "erofs"); err != nil || strings.Join(got, " ") != "libcrc32c loop erofs" {
		t.Fatalf("later: %v, loaded %v", err, got)
	}
}
