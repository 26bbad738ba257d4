package formats

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/image/spec"
	"github.com/ucvm/ucvm/internal/qemu"
)

func TestConvertedDisksBoot(t *testing.T) {
	in := testInput(t)
	cases := []struct {
		name   string
		f      Builder
		format string
	}{{"hvm", HVM, "raw"}, {"qcow2", QCOW2, "qcow2"}, {"vmdk", VMDK, "vmdk"}, {"vhd", VHD, "vpc"}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel() // single-threaded TCG guests: two at a time on 2 CPUs
			img := buildTwice(t, in, c.f, c.name)
			bootBanner(t, qemu.Config{Drives: []qemu.Drive{{File: img, Interface: "ide", Format: c.format, Snapshot: true}}})
		})
	}
}

type imgInfo struct {
	Format      string `json:"format"`
	VirtualSize int64  `json:"virtual-size"`
	ActualSize  int64  `json:"actual-size"`
	Specific    struct {
		Data map[string]any `json:"data"`
	} `json:"format-specific"`
}

func qemuImgInfo(t *testing.T, p, format string) imgInfo {
	t.Helper()
	out, err := exec.Command("qemu-img", "info", "--output=json", "-f", format, p).Output()
	if err != nil {
		t.Fatalf("qemu-img info %s: %v", p, err)
	}
	var i imgInfo
	if err := json.Unmarshal(out, &i); err != nil {
		t.Fatal(err)
	}
	return i
}

func TestVHDFooterAndVDI(t *testing.T) {
	in := testInput(t)
	vhd := buildTwice(t, in, VHD, "vhd")
	info := qemuImgInfo(t, vhd, "vpc")
	fi, _ := os.Stat(vhd)
	if info.VirtualSize%(1<<20) != 0 || fi.Size() != info.VirtualSize+512 {
		t.Fatalf("VHD virtual size %d (file %d): want whole MiB + 512-byte footer", info.VirtualSize, fi.Size())
	}
	b, _ := os.ReadFile(vhd)
	foot := b[len(b)-512:]
	if string(foot[:8]) != "conectix" || binary.BigEndian.Uint32(foot[60:]) != 2 /* fixed */ ||
		binary.BigEndian.Uint32(foot[64:]) != VHDChecksum(foot) {
		t.Fatalf("bad VHD footer % x", foot[:80])
	}
	vdi := buildTwice(t, in, VDI, "vdi")
	if i := qemuImgInfo(t, vdi, "vdi"); i.VirtualSize != 20<<30 {
		t.Fatalf("VDI virtual size %d, want 20 GiB", i.VirtualSize)
	}
	if err := exec.Command("qemu-img", "check", "-f", "vdi", vdi).Run(); err != nil {
		t.Fatalf("qemu-img check vdi: %v", err)
	}
}

func tarEntries(t *testing.T, p string, gz bool) (names []string, data map[string][]byte) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if gz {
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	}
	data = map[string][]byte{}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Size < 64<<20 {
			data[h.Name], _ = io.ReadAll(tr)
		}
	}
	return names, data
}

func TestGCETarball(t *testing.T) {
	in := testInput(t)
	p := buildTwice(t, in, GCE, "gce.tar.gz")
	names, _ := tarEntries(t, p, true)
	if len(names) != 1 || names[0] != "disk.raw" {
		t.Fatalf("GCE tarball holds %v, want exactly disk.raw", names)
	}
}

func TestUpdatePack(t *testing.T) {
	in := testInput(t)
	p := buildTwice(t, in, Update, "tar")
	names, data := tarEntries(t, p, false)
	want := []string{"apply", "initrd." + testVersion, "vmlinuz-" + in.KernelVersion}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("update pack holds %v, want %v", names, want)
	}
	apply := string(data["apply"])
	for _, l := range []string{"version=" + testVersion, "kernel=vmlinuz-" + in.KernelVersion, "initrd=initrd." + testVersion, "cmdline="} {
		if !strings.Contains(apply, l+"\n") {
			t.Fatalf("apply lacks %q:\n%s", l, apply)
		}
	}
	initrd, _ := os.ReadFile(in.Initrd)
	if !bytes.Equal(data["initrd."+testVersion], initrd) {
		t.Fatal("initrd in the pack differs")
	}
}

type ovfEnvelope struct {
	Files []struct {
		ID   string `xml:"id,attr"`
		Href string `xml:"href,attr"`
		Size int64  `xml:"size,attr"`
	} `xml:"References>File"`
	Disks []struct {
		ID       string `xml:"diskId,attr"`
		FileRef  string `xml:"fileRef,attr"`
		Capacity int64  `xml:"capacity,attr"`
	} `xml:"DiskSection>Disk"`
	Hosts []string `xml:"VirtualSystem>VirtualHardwareSection>Item>HostResource"`
}

func checkOVF(t *testing.T, ovf []byte, data map[string][]byte, names []string) {
	t.Helper()
	var env ovfEnvelope
	if err := xml.Unmarshal(ovf, &env); err != nil {
		t.Fatalf("OVF does not parse: %v", err)
	}
	if len(env.Files) != 2 || len(env.Disks) != 2 || len(env.Hosts) != 2 {
		t.Fatalf("OVF: %+v", env)
	}
	for i, f := range env.Files {
		if int64(len(data[f.Href])) != f.Size || f.Size == 0 {
			t.Fatalf("OVF references %s (%d bytes); archive has %d bytes (%v)", f.Href, f.Size, len(data[f.Href]), names)
		}
		if env.Disks[i].FileRef != f.ID || env.Hosts[i] != "/disk/"+env.Disks[i].ID {
			t.Fatalf("disk %d not wired: %+v", i, env)
		}
	}
	if env.Disks[1].Capacity != ScratchMB<<20 {
		t.Fatalf("scratch capacity %d", env.Disks[1].Capacity)
	}
	// Each referenced disk is a valid stream-optimized VMDK of the
	// capacity the OVF declares.
	for i, f := range env.Files {
		p := filepath.Join(t.TempDir(), f.Href)
		os.WriteFile(p, data[f.Href], 0o644)
		info := qemuImgInfo(t, p, "vmdk")
		if info.VirtualSize != env.Disks[i].Capacity || info.Specific.Data["create-type"] != "streamOptimized" {
			t.Fatalf("%s: qemu-img sees %+v, OVF says capacity %d", f.Href, info, env.Disks[i].Capacity)
		}
	}
}

func TestOVAAndBox(t *testing.T) {
	in := testInput(t)
	ova := buildTwice(t, in, OVA, "ova")
	names, data := tarEntries(t, ova, false)
	if !strings.HasSuffix(names[0], ".ovf") || !strings.HasSuffix(names[1], ".mf") {
		t.Fatalf("OVA order %v: the OVF must come first", names)
	}
	checkOVF(t, data[names[0]], data, names)
	mf := string(data[names[1]])
	for _, n := range names[2:] {
		if !strings.Contains(mf, "SHA256("+n+")= ") {
			t.Fatalf("manifest lacks %s", n)
		}
	}
	box := buildTwice(t, in, Box, "box")
	names, data = tarEntries(t, box, true)
	if !strings.Contains(string(data["metadata.json"]), `"provider": "virtualbox"`) || data["Vagrantfile"] == nil {
		t.Fatalf("box lacks metadata/Vagrantfile: %v", names)
	}
	checkOVF(t, data["box.ovf"], data, names)
}

func TestFATMenu(t *testing.T) {
	in := testInput(t)
	p := buildTwice(t, in, FAT, "fat")
	out, err := exec.Command("mtype", "-i", p, "::/boot/grub/menu.lst").CombinedOutput()
	if err != nil {
		t.Fatalf("mtype: %v: %s", err, out)
	}
	for _, want := range []string{"timeout 2", "cvmdebug", "console=hvc0", "cvmfs_repos=test.repo.local", "initrd /ucvm/initrd.img"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("menu.lst lacks %q:\n%s", want, out)
		}
	}
}

func TestBootMenus(t *testing.T) {
	b := spec.Branch{Name: "prod", FQRN: "cernvm-prod.cern.ch", OSPath: "cvm4", Servers: []string{"a.org", "b.org"}, CDN: []string{"c.io", "d.io"}, Tag: "HEAD4"}
	e := MakeEntries("2026.11-1.ucvm.x86_64", b, ConsoleBoth, "x=1")
	for _, want := range []string{"cernvm_path=cvm4", "cvmfs_repos=cernvm-prod.cern.ch", "cvmfs_server=a.org,b.org", "cvmfs_cdn=c.io,d.io", "cvmfs_repository_tag=HEAD4", "quiet", "console=ttyS0", "x=1"} {
		if !strings.Contains(e.Normal, want) {
			t.Errorf("normal entry lacks %q: %s", want, e.Normal)
		}
	}
	if !strings.Contains(e.Debug, "cvmdebug") || strings.Contains(e.Debug, "quiet") {
		t.Errorf("debug entry: %s", e.Debug)
	}
	if az := MakeEntries("v", b, ConsoleAzure, ""); strings.Contains(az.Normal, "quiet") || !strings.Contains(az.Normal, "rootdelay=300") {
		t.Errorf("azure entry: %s", az.Normal)
	}
	b.CDN = nil
	if !strings.Contains(BranchParams(b), "cvmfs_cdn=NONE") {
		t.Error("empty CDN must be NONE")
	}
	cfg := SyslinuxCfg(e)
	for _, want := range []string{"TIMEOUT 20", "LABEL debug", "SERIAL 0 115200"} {
		if !strings.Contains(cfg, want) {
			t.Errorf("syslinux.cfg lacks %q", want)
		}
	}
	if !strings.Contains(GrubCfg(e), "set timeout=2") {
		t.Error("grub.cfg timeout")
	}
}

func TestRegistry(t *testing.T) {
	if err := Build(context.Background(), "floppy", &Input{}, "x"); !errors.Is(err, ErrFormat) {
		t.Fatalf("unknown format: %v", err)
	}
	for f, want := range map[string]string{"iso": "ucvm-prod.V.iso", "gce": "ucvm-prod.V.gce.tar.gz", "update": "ucvm-prod.V.update.tar"} {
		if got := FileName("prod", "V", f); got != want {
			t.Errorf("%s: %s, want %s", f, got, want)
		}
	}
	for _, f := range spec.Formats {
		if _, ok := builders[f]; !ok {
			t.Errorf("spec format %s has no builder", f)
		}
	}
}
