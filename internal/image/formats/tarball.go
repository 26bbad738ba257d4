package formats

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/gzip"
)

// member is one file of a tar archive: Src (a file) or Data.
type member struct {
	Name string
	Src  string
	Data []byte
}

// writeTar writes members in the given order with fixed owner and times.
func (in *Input) writeTar(out string, gz bool, format tar.Format, members []member) error {
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	var w io.Writer = f
	var zw *gzip.Writer
	if gz {
		zw, _ = gzip.NewWriterLevel(f, gzip.BestSpeed)
		w = zw
	}
	tw := tar.NewWriter(w)
	for _, m := range members {
		if err := in.tarMember(tw, format, m); err != nil {
			return fmt.Errorf("tar %s: %w", m.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	return f.Sync()
}

func (in *Input) tarMember(tw *tar.Writer, format tar.Format, m member) error {
	size := int64(len(m.Data))
	var r io.Reader
	if m.Src != "" {
		f, err := os.Open(m.Src)
		if err != nil {
			return err
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return err
		}
		size, r = fi.Size(), f
	}
	hdr := &tar.Header{Name: m.Name, Mode: 0o644, Size: size, ModTime: in.mtime(), Format: format,
		Typeflag: tar.TypeReg, Uname: "root", Gname: "root"}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if r == nil {
		_, err := tw.Write(m.Data)
		return err
	}
	_, err := io.Copy(tw, r)
	return err
}

// gib is GCE's size unit for disk.raw.
const gib = 1 << 30

// GCE is a gzip'd tar holding exactly disk.raw (serial console), the
// image import format of Google Compute Engine; disk.raw is padded to a
// whole GiB as GCE requires.
func GCE(ctx context.Context, in *Input, out string) error {
	raw, err := in.rawDisk(ctx, ConsoleSerial)
	if err != nil {
		return err
	}
	fi, err := os.Stat(raw)
	if err != nil {
		return err
	}
	if err := os.Truncate(raw, (fi.Size()+gib-1)/gib*gib); err != nil {
		return err
	}
	return in.writeTar(out, true, tar.FormatGNU, []member{{Name: "disk.raw", Src: raw}})
}

// Update is the update pack a running machine stages for its next boot:
// an uncompressed tar of the initrd, the kernel and the apply file.
func Update(ctx context.Context, in *Input, out string) error {
	kernel := "vmlinuz-" + in.KernelVersion
	initrd := "initrd." + in.Version
	return in.writeTar(out, false, tar.FormatUSTAR, []member{
		{Name: "apply", Data: []byte(ApplyFile(in.Version, kernel, initrd, ""))},
		{Name: initrd, Src: in.Initrd},
		{Name: kernel, Src: in.Kernel},
	})
}

// ApplyFile is the update pack's apply file (empty cmdline = keep the
// current kernel command line).
func ApplyFile(version, kernel, initrd, cmdline string) string {
	return fmt.Sprintf("version=%s\nkernel=%s\ninitrd=%s\ncmdline=%s\n", version, kernel, initrd, cmdline)
}
