package formats

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// rawDisk builds the hdd-style raw disk with console c into the work dir.
func (in *Input) rawDisk(ctx context.Context, c Console) (string, error) {
	dir, err := os.MkdirTemp(in.Work, "raw-")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "disk.raw")
	return p, Disk(ctx, in, p, c)
}

func (in *Input) convert(ctx context.Context, c Console, out, format string, opts ...string) error {
	return in.convertSized(ctx, c, out, 0, format, opts...)
}

// convertSized converts the raw disk, first growing it (sparse) to size
// bytes when size > 0.
func (in *Input) convertSized(ctx context.Context, c Console, out string, size int64, format string, opts ...string) error {
	raw, err := in.rawDisk(ctx, c)
	if err != nil {
		return err
	}
	if size > 0 {
		if err := os.Truncate(raw, size); err != nil {
			return err
		}
	}
	args := []string{"convert", "-q", "-f", "raw", "-O", format}
	for _, o := range opts {
		args = append(args, "-o", o)
	}
	return in.run(ctx, "qemu-img", append(args, raw, out)...)
}

// QCOW2 is the hdd as qcow2 (OpenStack, libvirt).
func QCOW2(ctx context.Context, in *Input, out string) error {
	return in.convert(ctx, ConsoleBoth, out, "qcow2")
}

// VMDK is the hdd as a stream-optimized VMDK (VMware, VirtualBox).
func VMDK(ctx context.Context, in *Input, out string) error {
	if err := in.convert(ctx, ConsoleBoth, out, "vmdk", "subformat=streamOptimized"); err != nil {
		return err
	}
	return in.fixVMDKCID(out)
}

var cidRE = regexp.MustCompile(`\nCID=[0-9a-f]{1,8}\n`)

// fixVMDKCID replaces qemu's random content ID in the embedded descriptor
// (qemu prints it with %x, so even its length varies) with a derived one.
func (in *Input) fixVMDKCID(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr := make([]byte, 44)
	if _, err := f.ReadAt(hdr, 0); err != nil || string(hdr[:4]) != "KDMV" {
		return fmt.Errorf("%w: %s is not a sparse VMDK", ErrTool, path)
	}
	off := int64(binary.LittleEndian.Uint64(hdr[28:])) * 512
	size := int64(binary.LittleEndian.Uint64(hdr[36:])) * 512
	if off == 0 || size == 0 || size > 1<<20 {
		return fmt.Errorf("%w: %s: no embedded VMDK descriptor", ErrTool, path)
	}
	desc := make([]byte, size)
	if _, err := f.ReadAt(desc, off); err != nil {
		return err
	}
	if i := bytes.IndexByte(desc, 0); i >= 0 {
		desc = desc[:i]
	}
	// Derived from the build and the virtual size (not the file name).
	cid := fmt.Sprintf("\nCID=%08x\n", in.seed(fmt.Sprintf("vmdk%d", binary.LittleEndian.Uint64(hdr[12:]))))
	if !cidRE.Match(desc) {
		return fmt.Errorf("%w: %s: no CID in the VMDK descriptor", ErrTool, path)
	}
	desc = cidRE.ReplaceAll(desc, []byte(cid))
	if int64(len(desc)) > size {
		return fmt.Errorf("%w: %s: VMDK descriptor overflow", ErrTool, path)
	}
	_, err = f.WriteAt(append(desc, make([]byte, size-int64(len(desc)))...), off)
	return err
}

// VDI is the hdd as VirtualBox VDI with a 20 GiB virtual size, so the
// bootloader finds free space for its scratch partition on the boot disk.
func VDI(ctx context.Context, in *Input, out string) error {
	if err := in.convertSized(ctx, ConsoleBoth, out, VDISize, "vdi"); err != nil {
		return err
	}
	// Replace the random image and snapshot UUIDs of the VDI header.
	f, err := os.OpenFile(out, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	for i, off := range []int64{0x188, 0x198} {
		if _, err := f.WriteAt(in.uuid(fmt.Sprintf("vdi%d", i)), off); err != nil {
			return err
		}
	}
	return nil
}

// VDISize is the virtual size of the VDI format.
const VDISize = 20 << 30

// uuid derives a stable RFC 4122 (version 4 layout) UUID.
func (in *Input) uuid(what string) []byte {
	h := sha256.Sum256([]byte(what + "\x00" + in.Version + "\x00" + in.Branch.Name))
	u := h[:16]
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// VHD is a fixed VHD for Azure: the raw disk with Azure console settings
// (a whole number of MiB) plus the 512-byte footer.
func VHD(ctx context.Context, in *Input, out string) error {
	if err := in.convert(ctx, ConsoleAzure, out, "vpc", "subformat=fixed", "force_size=on"); err != nil {
		return err
	}
	return in.fixVHDFooter(out)
}

// vhdEpoch is the VHD time origin, 2000-01-01 00:00:00 UTC.
const vhdEpoch = 946684800

// fixVHDFooter sets the footer's time stamp and UUID from the build and
// recomputes its checksum.
func (in *Input) fixVHDFooter(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	foot := make([]byte, 512)
	if _, err := f.ReadAt(foot, fi.Size()-512); err != nil {
		return err
	}
	if !bytes.HasPrefix(foot, []byte("conectix")) {
		return fmt.Errorf("%w: %s: no VHD footer", ErrTool, path)
	}
	ts := in.Epoch - vhdEpoch
	if ts < 0 {
		ts = 0
	}
	binary.BigEndian.PutUint32(foot[24:], uint32(ts))
	copy(foot[68:84], in.uuid("vhd"))
	binary.BigEndian.PutUint32(foot[64:], VHDChecksum(foot))
	_, err = f.WriteAt(foot, fi.Size()-512)
	return err
}

// VHDChecksum is the one's complement of the byte sum of a VHD footer
// without its checksum field (bytes 64..67).
func VHDChecksum(foot []byte) uint32 {
	var sum uint32
	for i, b := range foot {
		if i < 64 || i >= 68 {
			sum += uint32(b)
		}
	}
	return ^sum
}
