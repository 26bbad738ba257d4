package formats

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/ucvm/ucvm/internal/image/spec"
)

// ErrTool marks a missing or failing external tool.
var ErrTool = errors.New("image tool")

// ErrFormat marks an unknown format.
var ErrFormat = errors.New("unsupported format")

// Input is what every format is made of.
type Input struct {
	Version       string // strong version
	KernelVersion string
	Kernel        string // bzImage
	Initrd        string
	Branch        spec.Branch
	ExtraParams   string // appended to every entry
	Epoch         int64  // SOURCE_DATE_EPOCH
	Work          string // scratch directory (removed by the caller)
}

func (in *Input) entries(c Console) Entries {
	return MakeEntries(in.Version, in.Branch, c, in.ExtraParams)
}

// seed derives a stable 32-bit identifier (volume serial, disk signature).
func (in *Input) seed(what string) uint32 {
	h := sha256.Sum256([]byte(what + "\x00" + in.Version + "\x00" + in.Branch.Name))
	return binary.BigEndian.Uint32(h[:4])
}

func (in *Input) mtime() time.Time { return time.Unix(in.Epoch, 0).UTC() }

// run executes a tool with a reproducible environment.
func (in *Input) run(ctx context.Context, name string, args ...string) error {
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Errorf("%w: %s not found: %w (run make deps)", ErrTool, name, err)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("SOURCE_DATE_EPOCH=%d", in.Epoch), "TZ=UTC", "LC_ALL=C", "MTOOLS_SKIP_CHECK=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", name, ctx.Err())
		}
		return fmt.Errorf("%w: %s %s: %w: %s", ErrTool, name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

// tree is a staging directory: relative name -> source file or content.
type tree map[string]any // string = source path, []byte = content

// stage writes t under dir with every time stamp set to the epoch.
func (in *Input) stage(t tree, dir string) error {
	for name, v := range t {
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		var err error
		switch v := v.(type) {
		case string:
			err = copyFile(v, dst)
		case []byte:
			err = os.WriteFile(dst, v, 0o644)
		}
		if err != nil {
			return fmt.Errorf("stage %s: %w", name, err)
		}
	}
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, in.mtime(), in.mtime())
	})
}

func copyFile(src, dst string) error {
	s, err := os.Open(src)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(d, s); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}

// payload is the common boot tree: kernel, initrd, sentinel, version.
func (in *Input) payload() tree {
	return tree{
		KernelPath[1:]: in.Kernel,
		InitrdPath[1:]: in.Initrd,
		Sentinel:       []byte(in.Version + "\n"),
		"version":      []byte(fmt.Sprintf("%s at %s, ucvm %s\n", in.Branch.FQRN, in.Branch.Tag, in.Version)),
	}
}

// Syslinux BIOS modules the menu needs (Debian syslinux-common).
var syslinuxModules = []string{"ldlinux.c32"}

const syslinuxModDir = "/usr/lib/syslinux/modules/bios"
