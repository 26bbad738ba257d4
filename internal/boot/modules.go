package boot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ModuleOrderFile lists the initrd's modules in load order.
const ModuleOrderFile = "modules.order.ucvm"

// ModuleLoader loads one kernel module file.
type ModuleLoader func(path string) error

// FinitModule loads a plain .ko with finit_module(2). A module that is
// already loaded (or built in) is not an error.
func FinitModule(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	err = unix.FinitModule(int(f.Fd()), "", 0)
	if err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("finit_module %s: %w", filepath.Base(path), err)
	}
	return nil
}

// LoadModules loads the modules of modules.order.ucvm under dir (usually
// /lib/modules/<uname -r>) in order. Failures are collected, not fatal:
// a module for absent hardware may refuse to load.
func LoadModules(dir string, load ModuleLoader) (int, error) {
	b, err := os.ReadFile(filepath.Join(dir, ModuleOrderFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var errs []error
	n := 0
	for _, rel := range strings.Split(string(b), "\n") {
		rel = strings.TrimSpace(rel)
		if rel == "" || strings.HasPrefix(rel, "#") {
			continue
		}
		if filepath.IsAbs(rel) || strings.Contains(rel, "..") {
			errs = append(errs, fmt.Errorf("bad module path %q in %s", rel, ModuleOrderFile))
			continue
		}
		if err := load(filepath.Join(dir, rel)); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// KernelRelease returns uname -r.
func KernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
