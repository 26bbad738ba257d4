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
// a module for absent hardware may refuse to load. With a driver table
// (modules.devices.ucvm) and devices != nil, drivers are loaded only for
// the devices that devices() reports, in rounds: a bus driver (virtio_pci,
// hv_vmbus) makes the devices of its bus appear for the next round. It
// returns the number of modules loaded and the names of those skipped.
func LoadModules(dir string, load ModuleLoader, devices func() []string) (int, []string, error) {
	b, err := os.ReadFile(filepath.Join(dir, ModuleOrderFile))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil, nil
	}
	if err != nil {
		return 0, nil, err
	}
	var order []string
	var errs []error
	for _, rel := range strings.Split(string(b), "\n") {
		rel = strings.TrimSpace(rel)
		if rel == "" || strings.HasPrefix(rel, "#") {
			continue
		}
		if filepath.IsAbs(rel) || strings.Contains(rel, "..") {
			errs = append(errs, fmt.Errorf("bad module path %q in %s", rel, ModuleOrderFile))
			continue
		}
		order = append(order, rel)
	}
	table := readDriverTable(dir)
	if devices == nil {
		table = nil
	}
	tried, loaded := map[string]bool{}, map[string]bool{}
	n := 0
	for round := 0; round < 4; round++ { // bus levels: pci -> virtio/vmbus
		var devs []string
		if table != nil {
			devs = devices()
		}
		progress := false
		for _, rel := range order {
			name := moduleName(rel)
			if tried[name] || (table != nil && !table.wanted(name, devs, loaded)) {
				continue
			}
			tried[name], progress = true, true
			if err := load(filepath.Join(dir, rel)); err != nil {
				errs = append(errs, err)
				continue
			}
			loaded[name] = true
			n++
		}
		if !progress || table == nil {
			break
		}
	}
	var skipped []string
	for _, rel := range order {
		if name := moduleName(rel); !tried[name] {
			skipped = append(skipped, name)
		}
	}
	return n, skipped, errors.Join(errs...)
}

// KernelRelease returns uname -r.
func KernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
