package boot

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// ModuleDevicesFile is the initrd's driver table (see kernel.DevicesTable):
// "alias PATTERN NAME" and "depends NAME DEP..." lines.
const ModuleDevicesFile = "modules.devices.ucvm"

// driverTable says which modules drive which devices. With it, a driver
// is loaded only when a present device matches one of its aliases (as
// udev's coldplug does) instead of every driver of every cloud; a module
// whose dependency was not loaded is not loaded either.
type driverTable struct {
	aliases map[string][]string
	deps    map[string][]string
}

// readDriverTable reads the table under dir; nil if there is none (an
// older image: every module is loaded).
func readDriverTable(dir string) *driverTable {
	b, err := os.ReadFile(filepath.Join(dir, ModuleDevicesFile))
	if err != nil {
		return nil
	}
	t := &driverTable{aliases: map[string][]string{}, deps: map[string][]string{}}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) == 3 && f[0] == "alias":
			t.aliases[f[2]] = append(t.aliases[f[2]], f[1])
		case len(f) >= 3 && f[0] == "depends":
			t.deps[f[1]] = f[2:]
		}
	}
	return t
}

// wanted reports whether module name is to be loaded now: no device
// aliases (file systems, libraries) or one matching a present device, and
// every dependency loaded.
func (t *driverTable) wanted(name string, devices []string, loaded map[string]bool) bool {
	for _, d := range t.deps[name] {
		if !loaded[d] {
			return false
		}
	}
	pats := t.aliases[name]
	if len(pats) == 0 {
		return true
	}
	for _, p := range pats {
		for _, d := range devices {
			if ok, _ := path.Match(p, d); ok {
				return true
			}
		}
	}
	return false
}

// modaliasBuses are the buses that a driver table's device aliases may
// name (kernel.DeviceBuses); the other buses (cpu, memory, platform, ...)
// are never read: a glob over all of them was a quarter of the
// bootloader's CPU time under emulation.
var modaliasBuses = []string{"pci", "virtio", "acpi", "vmbus", "xen"}

// Modaliases returns the modalias of every device on the given buses
// (default modaliasBuses) under sysRoot (normally /sys). The bootloader
// asks only for the buses its driver table names (driverTable.buses): on
// a KVM guest pci and virtio, not the few dozen ACPI devices, which cost
// a read each, in every round of LoadModules.
func Modaliases(sysRoot string, buses ...string) []string {
	if len(buses) == 0 {
		buses = modaliasBuses
	}
	var out []string
	for _, bus := range buses {
		dir := filepath.Join(sysRoot, "bus", bus, "devices")
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(dir, e.Name(), "modalias")); err == nil {
				if s := strings.TrimSpace(string(b)); s != "" {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// buses returns the buses the table's aliases name ("pci" of
// "pci:v00001AF4d*..."), among modaliasBuses, sorted.
func (t *driverTable) buses() []string {
	var out []string
	for _, bus := range modaliasBuses {
		for _, pats := range t.aliases {
			if slices.ContainsFunc(pats, func(p string) bool { return strings.HasPrefix(p, bus+":") }) {
				out = append(out, bus)
				break
			}
		}
	}
	return out
}

// moduleName normalises a module path as the kernel names modules.
func moduleName(rel string) string {
	s := path.Base(rel)
	for _, ext := range []string{".ko.xz", ".ko.zst", ".ko.gz", ".ko"} {
		s = strings.TrimSuffix(s, ext)
	}
	return strings.ReplaceAll(s, "-", "_")
}
