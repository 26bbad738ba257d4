package formats

import (
	"context"
	"fmt"
	"os"
)

// Builder writes one format to out.
type Builder func(ctx context.Context, in *Input, out string) error

var builders = map[string]Builder{
	"iso": ISO, "hdd": HDD, "hvm": HVM, "fat": FAT, "gce": GCE, "vhd": VHD,
	"qcow2": QCOW2, "vdi": VDI, "vmdk": VMDK, "ova": OVA, "box": Box, "update": Update,
}

// Build writes format f for in to out. Without in.Work it uses (and
// removes) a temporary scratch directory.
func Build(ctx context.Context, f string, in *Input, out string) error {
	b, ok := builders[f]
	if !ok {
		return fmt.Errorf("%w: %q", ErrFormat, f)
	}
	if in.Work == "" {
		w, err := os.MkdirTemp("", "ucvm-image-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(w)
		cp := *in
		cp.Work = w
		in = &cp
	}
	return b(ctx, in, out)
}

// Extension is the file name suffix of a format.
func Extension(f string) string {
	switch f {
	case "gce":
		return "gce.tar.gz"
	case "update":
		return "update.tar"
	}
	return f
}

// FileName is ucvm-<branch>.<version>.<ext>.
func FileName(branch, version, f string) string {
	return fmt.Sprintf("ucvm-%s.%s.%s", branch, version, Extension(f))
}
