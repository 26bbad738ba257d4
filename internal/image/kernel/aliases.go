package kernel

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DevicesFile is the name of the initrd's driver table (next to the
// modules, in /lib/modules/<kver>/): which modules drive which devices.
const DevicesFile = "modules.devices.ucvm"

// DeviceBuses are the alias prefixes of buses whose devices are all
// enumerated by the time their bus driver has loaded, so that a driver
// whose aliases match no present device can be left out at boot.
var DeviceBuses = []string{"pci:", "virtio:", "acpi:", "vmbus:", "xen:"}

// IsDeviceAlias reports whether a module alias names a device of DeviceBuses.
func IsDeviceAlias(pattern string) bool {
	for _, p := range DeviceBuses {
		if strings.HasPrefix(pattern, p) {
			return true
		}
	}
	return false
}

// LoadAliases reads modules.alias of a modules dir: module name -> device
// alias patterns (other aliases, like fs-ext4 or crypto-crc32c, are left
// out). A missing file gives an empty map.
func LoadAliases(modulesDir string) (map[string][]string, error) {
	data, err := os.ReadFile(filepath.Join(modulesDir, "modules.alias"))
	if os.IsNotExist(err) {
		return map[string][]string{}, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseAliases(data)
}

// ParseAliases parses the text of modules.alias ("alias PATTERN MODULE").
func ParseAliases(data []byte) (map[string][]string, error) {
	out := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		if len(f) != 3 || f[0] != "alias" {
			return nil, fmt.Errorf("modules.alias line %d: want \"alias PATTERN MODULE\", got %q", n, sc.Text())
		}
		if IsDeviceAlias(f[1]) {
			name := ModuleName(f[2])
			out[name] = append(out[name], f[1])
		}
	}
	return out, sc.Err()
}

// DevicesTable renders the driver table of the modules in order (paths
// relative to the modules dir): "alias PATTERN NAME" for every device
// alias, "depends NAME DEP..." for every module with dependencies.
func (db *ModuleDB) DevicesTable(order []string, aliases map[string][]string) []byte {
	var b bytes.Buffer
	b.WriteString("# drivers of this initrd: a module with device aliases is loaded when a device matches\n")
	for _, rel := range order {
		name := ModuleName(rel)
		pats := append([]string(nil), aliases[name]...)
		sort.Strings(pats)
		for _, p := range pats {
			fmt.Fprintf(&b, "alias %s %s\n", p, name)
		}
		if deps := db.Deps[name]; len(deps) > 0 {
			fmt.Fprintf(&b, "depends %s %s\n", name, strings.Join(deps, " "))
		}
	}
	return b.Bytes()
}
