package bootbin

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// FindModuleRoot walks up from dir to the directory holding go.mod.
func FindModuleRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("%w: no go.mod above %s; set bootloader.module_root or bootloader.binary", ErrBuild, dir)
		}
	}
}

// PACHelperPackage is the bootloader's PAC evaluator, built with it.
const PACHelperPackage = "./cmd/ucvm-pac"

// PACInInit says where an initrd of the given compression evaluates PAC
// files. Compressed to be small (xz, zstd), /init links the JavaScript
// engine (build tag PACTag): a helper would bring its own Go runtime, 0.9
// MB more after xz. Compressed to be fast to unpack (lz4, none), the
// engine stays in the helper, which the initrd keeps xz-compressed (1.8
// MB) and the bootloader unpacks only for a PAC file: every boot would
// otherwise unpack its 3.4 MB (docs/benchmarks.md, stop 17).
func PACInInit(compression string) bool {
	return compression != "lz4" && compression != "none"
}

// PACTag is the build tag that links the PAC engine into /init.
const PACTag = "pacjs"

// HasPACHelper reports whether the module at moduleRoot has the PAC helper.
func HasPACHelper(moduleRoot string) bool {
	_, err := os.Stat(filepath.Join(moduleRoot, PACHelperPackage, "main.go"))
	return err == nil
}

// BuildBootloader compiles the Go package pkg (e.g. ./cmd/ucvm-init) of the
// module at moduleRoot into a static, stripped, reproducible binary at out.
func BuildBootloader(ctx context.Context, moduleRoot, pkg, out string, tags ...string) error {
	goBin := "go"
	if _, err := exec.LookPath(goBin); err != nil {
		if _, err := os.Stat("/usr/local/go/bin/go"); err == nil {
			goBin = "/usr/local/go/bin/go"
		}
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	args := []string{"build", "-trimpath", "-buildvcs=false", "-ldflags", "-s -w -buildid="}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.CommandContext(ctx, goBin, append(args, "-o", abs, pkg)...)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: go build %s in %s: %w: %s", ErrBuild, pkg, moduleRoot, err, strings.TrimSpace(errb.String()))
	}
	return nil
}
