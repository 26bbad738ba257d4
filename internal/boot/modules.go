package boot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// LaterModules are not loaded with the others but by LoadLater when a
// boot needs them: the loop device and EROFS mount a boot pack's image,
// which only a first boot of a snapshot (or one whose shutdown did not
// turn the image into plain files) has. Each module's signature check
// costs about 20 ms under emulation.
var LaterModules = []string{"loop", "erofs"}

// LoadModules loads the modules of modules.order.ucvm under dir (usually
// /lib/modules/<uname -r>) in order, except later ones (and the modules
// only they depend on, per the driver table), which LoadLater loads.
// Failures are collected, not fatal: a module for absent hardware may
// refuse to load. With a driver table
// (modules.devices.ucvm) and devices != nil, drivers are loaded only for
// the devices that devices(buses) reports on the buses the table names,
// in rounds: a bus driver (virtio_pci,
// hv_vmbus) makes the devices of its bus appear for the next round. It
// returns the number of modules loaded and the names of those skipped.
func LoadModules(dir string, load ModuleLoader, devices func(buses []string) []string, later ...string) (int, []string, error) {
	order, errs, err := readModuleOrder(dir)
	if err != nil || order == nil {
		return 0, nil, err
	}
	table := readDriverTable(dir)
	deferred := laterSet(order, table, later)
	if devices == nil {
		table = nil
	}
	tried, loaded := map[string]bool{}, map[string]bool{}
	for name := range deferred {
		tried[name] = true
	}
	n := 0
	for round := 0; round < 4; round++ { // bus levels: pci -> virtio/vmbus
		var devs []string
		if table != nil {
			devs = devices(table.buses())
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

// readModuleOrder reads the load order under dir (nil if there is none);
// unsafe entries are left out and reported in errs.
func readModuleOrder(dir string) (order []string, errs []error, err error) {
	b, err := os.ReadFile(filepath.Join(dir, ModuleOrderFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
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
	return order, errs, nil
}

// laterSet returns the modules of order to load later: the named ones and
// those that only they depend on.
func laterSet(order []string, table *driverTable, names []string) map[string]bool {
	later := map[string]bool{}
	for _, n := range names {
		later[n] = true
	}
	if table == nil {
		return later
	}
	for changed := true; changed; {
		changed = false
		for _, rel := range order {
			m := moduleName(rel)
			if later[m] {
				continue
			}
			users, allLater := 0, true
			for user, deps := range table.deps {
				if slices.Contains(deps, m) {
					users++
					allLater = allLater && later[user]
				}
			}
			if users > 0 && allLater {
				later[m], changed = true, true
			}
		}
	}
	return later
}

// LoadLater loads the named modules of the initrd under dir and their
// dependencies, in order, except those loaded reports as loaded already
// (ModuleLoaded).
func LoadLater(dir string, load ModuleLoader, loaded func(name string) bool, names ...string) error {
	order, _, err := readModuleOrder(dir)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	table := readDriverTable(dir)
	for _, n := range names {
		want[n] = true
		if table != nil {
			for _, d := range table.deps[n] {
				want[d] = true
			}
		}
	}
	var errs []error
	for _, rel := range order {
		name := moduleName(rel)
		if !want[name] || loaded(name) {
			continue
		}
		if err := load(filepath.Join(dir, rel)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ModuleLoaded reports whether the kernel has module name (loaded or
// built in with parameters: /sys/module/<name>).
func ModuleLoaded(name string) bool { return exists(filepath.Join("/sys/module", name)) }

// KernelRelease returns uname -r.
func KernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Release[:])
}
