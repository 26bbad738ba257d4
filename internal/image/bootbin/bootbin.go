package bootbin

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ucvm/ucvm/internal/image/spec"
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

// PACInInit says whether /init of an initrd of the given compression
// links the PAC engine (build tag PACTag): yes for one compressed to be
// small (xz, zstd), where a helper with its own Go runtime would add 0.9
// MB after xz; no for one made to be fast to unpack (spec.FastUnpack),
// which keeps the engine in the helper, xz-compressed (1.8 MB), unpacked
// only for a PAC file: every boot would otherwise unpack its 3.4 MB.
func PACInInit(compression string) bool { return !spec.FastUnpack(compression) }

// PACTag is the build tag that links the PAC engine into /init.
const PACTag = "pacjs"

// HasPACHelper reports whether the module at moduleRoot has the PAC helper.
func HasPACHelper(moduleRoot string) bool {
	_, err := os.Stat(filepath.Join(moduleRoot, PACHelperPackage, "main.go"))
	return err == nil
}

// BuildForInitrd builds the bootloader package pkg into dir/init with the
// PAC engine linked in (-tags pacjs) when inInit (PACInInit of the
// initrd's compression), else with the helper built beside it as
// dir/ucvm-pac when the module has one. It returns the helper's path (""
// if none) and calls progress (if not nil) before each build.
func BuildForInitrd(ctx context.Context, moduleRoot, pkg, dir string, inInit bool, progress func(string)) (init, helper string, err error) {
	init = filepath.Join(dir, "init")
	var tags []string
	if inInit {
		tags = append(tags, PACTag)
	}
	say := func(what string) {
		if progress != nil {
			progress(what)
		}
	}
	say(strings.TrimSpace("go build " + pkg + " " + strings.Join(tags, " ")))
	if err := BuildBootloader(ctx, moduleRoot, pkg, init, tags...); err != nil {
		return "", "", err
	}
	if inInit || !HasPACHelper(moduleRoot) {
		return init, "", nil
	}
	helper = filepath.Join(dir, "ucvm-pac")
	say("go build " + PACHelperPackage)
	return init, helper, BuildBootloader(ctx, moduleRoot, PACHelperPackage, helper)
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
