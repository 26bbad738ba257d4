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

// BuildBootloader compiles the Go package pkg (e.g. ./cmd/ucvm-init) of the
// module at moduleRoot into a static, stripped, reproducible binary at out.
func BuildBootloader(ctx context.Context, moduleRoot, pkg, out string) error {
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
	cmd := exec.CommandContext(ctx, goBin, "build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -buildid=", "-o", abs, pkg)
	cmd.Dir = moduleRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: go build %s in %s: %w: %s", ErrBuild, pkg, moduleRoot, err, strings.TrimSpace(errb.String()))
	}
	return nil
}
