package formats

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/template"
)

// ScratchMB is the size of the OVA's second (scratch) disk.
const ScratchMB = 20000

// OVF disk format URI of stream-optimized VMDK.
const vmdkStreamURI = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"

// ovfDisk is one disk of the appliance.
type ovfDisk struct {
	ID, File  string
	Size      int64 // file bytes
	Capacity  int64 // virtual bytes
	Instance  int
	OnChannel int
}

type ovfData struct {
	Name, Version, URL string
	MemoryMB           int
	Disks              []ovfDisk
}

var ovfTmpl = template.Must(template.New("ovf").Parse(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope ovf:version="1.0" xml:lang="en-US" xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData" xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <References>
{{- range .Disks}}
    <File ovf:id="{{.ID}}-file" ovf:href="{{.File}}" ovf:size="{{.Size}}"/>
{{- end}}
  </References>
  <DiskSection>
    <Info>List of the virtual disks used in the package</Info>
{{- range .Disks}}
    <Disk ovf:capacity="{{.Capacity}}" ovf:diskId="{{.ID}}" ovf:fileRef="{{.ID}}-file" ovf:format="` + vmdkStreamURI + `"/>
{{- end}}
  </DiskSection>
  <NetworkSection>
    <Info>Logical networks used in the package</Info>
    <Network ovf:name="NAT">
      <Description>Logical network used by this appliance.</Description>
    </Network>
  </NetworkSection>
  <VirtualSystem ovf:id="{{.Name}}">
    <Info>A virtual machine</Info>
    <ProductSection>
      <Info>Meta-information about the installed software</Info>
      <Product>ucvm</Product>
      <Version>{{.Version}}</Version>
      <ProductUrl>{{.URL}}</ProductUrl>
    </ProductSection>
    <OperatingSystemSection ovf:id="101">
      <Info>The kind of installed guest operating system</Info>
      <Description>Linux26_64</Description>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements for a virtual machine</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{{.Name}}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>virtualbox-2.2</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:Caption>1 virtual CPU</rasd:Caption>
        <rasd:Description>Number of virtual CPUs</rasd:Description>
        <rasd:ElementName>1 virtual CPU</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>1</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>MegaBytes</rasd:AllocationUnits>
        <rasd:Caption>{{.MemoryMB}} MB of memory</rasd:Caption>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>{{.MemoryMB}} MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>{{.MemoryMB}}</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:Caption>sataController0</rasd:Caption>
        <rasd:Description>SATA Controller</rasd:Description>
        <rasd:ElementName>sataController0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>AHCI</rasd:ResourceSubType>
        <rasd:ResourceType>20</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Caption>Ethernet adapter on 'NAT'</rasd:Caption>
        <rasd:Connection>NAT</rasd:Connection>
        <rasd:ElementName>Ethernet adapter on 'NAT'</rasd:ElementName>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:ResourceSubType>E1000</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
{{- range .Disks}}
      <Item>
        <rasd:AddressOnParent>{{.OnChannel}}</rasd:AddressOnParent>
        <rasd:Caption>{{.ID}}</rasd:Caption>
        <rasd:Description>Disk Image</rasd:Description>
        <rasd:ElementName>{{.ID}}</rasd:ElementName>
        <rasd:HostResource>/disk/{{.ID}}</rasd:HostResource>
        <rasd:InstanceID>{{.Instance}}</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
{{- end}}
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`))

// appliance builds the two stream-optimized disks and the OVF text.
func (in *Input) appliance(ctx context.Context, base string) (ovf []byte, disks []member, err error) {
	dir, err := os.MkdirTemp(in.Work, "ova-")
	if err != nil {
		return nil, nil, err
	}
	boot := filepath.Join(dir, base+"-disk1.vmdk")
	if err := VMDK(ctx, in, boot); err != nil {
		return nil, nil, err
	}
	scratch := filepath.Join(dir, base+"-disk2.vmdk")
	if err := in.run(ctx, "qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=streamOptimized", scratch, fmt.Sprintf("%dM", ScratchMB)); err != nil {
		return nil, nil, err
	}
	if err := in.fixVMDKCID(scratch); err != nil {
		return nil, nil, err
	}
	d := ovfData{Name: "ucvm", Version: in.Version, URL: "https://github.com/ucvm/ucvm", MemoryMB: 1024}
	for i, p := range []string{boot, scratch} {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, nil, err
		}
		capacity, err := vmdkCapacity(p)
		if err != nil {
			return nil, nil, err
		}
		d.Disks = append(d.Disks, ovfDisk{ID: fmt.Sprintf("vmdisk%d", i+1), File: filepath.Base(p), Size: fi.Size(),
			Capacity: capacity, Instance: 5 + i, OnChannel: i})
		disks = append(disks, member{Name: filepath.Base(p), Src: p})
	}
	var b bytes.Buffer
	if err := ovfTmpl.Execute(&b, d); err != nil {
		return nil, nil, err
	}
	return b.Bytes(), disks, nil
}

// vmdkCapacity reads the virtual size (sectors field of the sparse header).
func vmdkCapacity(p string) (int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := make([]byte, 20)
	if _, err := io.ReadFull(f, h); err != nil || string(h[:4]) != "KDMV" {
		return 0, fmt.Errorf("%w: %s is not a sparse VMDK", ErrTool, p)
	}
	var sectors int64
	for i := 0; i < 8; i++ {
		sectors |= int64(h[12+i]) << (8 * i)
	}
	return sectors * 512, nil
}

// manifest is the OVA .mf file: SHA256 of the OVF and every disk.
func manifest(files []member) ([]byte, error) {
	var b bytes.Buffer
	for _, m := range files {
		h := sha256.New()
		if m.Src != "" {
			f, err := os.Open(m.Src)
			if err != nil {
				return nil, err
			}
			_, err = io.Copy(h, f)
			f.Close()
			if err != nil {
				return nil, err
			}
		} else {
			h.Write(m.Data)
		}
		fmt.Fprintf(&b, "SHA256(%s)= %x\n", m.Name, h.Sum(nil))
	}
	return b.Bytes(), nil
}

// OVA is the appliance for VirtualBox and VMware: OVF first, manifest,
// the boot disk and a 20000 MB scratch disk, all stream-optimized VMDKs.
func OVA(ctx context.Context, in *Input, out string) error {
	base := "ucvm-" + in.Branch.Name
	ovf, disks, err := in.appliance(ctx, base)
	if err != nil {
		return err
	}
	files := append([]member{{Name: base + ".ovf", Data: ovf}}, disks...)
	mf, err := manifest(files)
	if err != nil {
		return err
	}
	members := append([]member{files[0], {Name: base + ".mf", Data: mf}}, disks...)
	return in.writeTar(out, false, tar.FormatUSTAR, members)
}

// vagrantfile is the box's embedded Vagrantfile.
const vagrantfile = `# ucvm Vagrant box (VirtualBox provider)
Vagrant.configure("2") do |config|
  config.vm.provider "virtualbox" do |vb|
    vb.memory = 1024
  end
end
`

// Box is a Vagrant box for the VirtualBox provider: box.ovf, the disks,
// metadata.json and a Vagrantfile in a gzip'd tar.
func Box(ctx context.Context, in *Input, out string) error {
	ovf, disks, err := in.appliance(ctx, "box")
	if err != nil {
		return err
	}
	members := append([]member{
		{Name: "metadata.json", Data: []byte(`{"provider": "virtualbox"}` + "\n")},
		{Name: "Vagrantfile", Data: []byte(vagrantfile)},
		{Name: "box.ovf", Data: ovf},
	}, disks...)
	return in.writeTar(out, true, tar.FormatUSTAR, members)
}
