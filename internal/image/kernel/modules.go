package kernel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// ErrModuleNotFound marks a requested module that the kernel does not have.
var ErrModuleNotFound = errors.New("kernel module not found")

// ModuleName normalises a module name or path: "kernel/x/crc32c-intel.ko"
// and "crc32c-intel" both give "crc32c_intel".
func ModuleName(s string) string {
	s = path.Base(s)
	for _, ext := range []string{".ko.xz", ".ko.zst", ".ko.gz", ".ko"} {
		s = strings.TrimSuffix(s, ext)
	}
	return strings.ReplaceAll(s, "-", "_")
}

// ModuleDB is the parsed modules.dep (+ modules.builtin) of one kernel.
type ModuleDB struct {
	Path    map[string]string   // name -> path relative to the modules dir
	Deps    map[string][]string // name -> direct dependency names
	Builtin map[string]bool
}

// ParseModulesDep parses the text of modules.dep ("path: dep dep ...").
func ParseModulesDep(data []byte) (*ModuleDB, error) {
	db := &ModuleDB{Path: map[string]string{}, Deps: map[string][]string{}, Builtin: map[string]bool{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		file, deps, ok := strings.Cut(line, ":")
		file = strings.TrimSpace(file)
		if !ok || file == "" || strings.ContainsAny(file, " \t") {
			return nil, fmt.Errorf("modules.dep line %d: want \"path: deps\", got %q", n, line)
		}
		if err := checkRelPath(file); err != nil {
			return nil, fmt.Errorf("modules.dep line %d: %w", n, err)
		}
		name := ModuleName(file)
		db.Path[name] = file
		for _, d := range strings.Fields(deps) {
			if err := checkRelPath(d); err != nil {
				return nil, fmt.Errorf("modules.dep line %d: %w", n, err)
			}
			db.Deps[name] = append(db.Deps[name], ModuleName(d))
		}
	}
	return db, sc.Err()
}

func checkRelPath(p string) error {
	if path.IsAbs(p) || path.Clean(p) != p || strings.HasPrefix(p, "..") {
		return fmt.Errorf("unsafe module path %q", p)
	}
	return nil
}

// LoadModuleDB reads modules.dep and modules.builtin from a modules dir
// (/lib/modules/<version>).
func LoadModuleDB(modulesDir string) (*ModuleDB, error) {
	data, err := os.ReadFile(filepath.Join(modulesDir, "modules.dep"))
	if err != nil {
		return nil, fmt.Errorf("modules: %w (run depmod -b <root> <version>)", err)
	}
	db, err := ParseModulesDep(data)
	if err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(modulesDir, "modules.builtin")); err == nil {
		for _, l := range strings.Fields(string(b)) {
			db.Builtin[ModuleName(l)] = true
		}
	}
	return db, nil
}

// earlyModules must precede the modules that soft-depend on them: ext4 and
// jbd2 need crc32c, and there is no modprobe to act on request_module.
var earlyModules = map[string][]string{
	"jbd2": {"crc32c_generic", "crc32c_intel"},
	"ext4": {"crc32c_generic", "crc32c_intel"},
}

// Closure returns the relative paths of the wanted modules and all their
// dependencies in load order (dependencies first, otherwise in the order
// asked). Built-in modules are skipped; an unknown module is an error.
func (db *ModuleDB) Closure(wanted []string) ([]string, error) {
	want := map[string]bool{}
	for _, w := range wanted {
		want[ModuleName(w)] = true
	}
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, from string) error
	visit = func(name, from string) error {
		switch state[name] {
		case 1:
			return fmt.Errorf("modules: dependency cycle at %s", name)
		case 2:
			return nil
		}
		if _, ok := db.Path[name]; !ok {
			if db.Builtin[name] {
				state[name] = 2
				return nil
			}
			if from != "" {
				return fmt.Errorf("%w: %s (needed by %s)", ErrModuleNotFound, name, from)
			}
			return fmt.Errorf("%w: %s (not in modules.dep; check the name with modinfo)", ErrModuleNotFound, name)
		}
		state[name] = 1
		deps := append([]string(nil), db.Deps[name]...)
		for _, e := range earlyModules[name] {
			if want[e] {
				deps = append([]string{e}, deps...)
			}
		}
		for _, d := range deps {
			if err := visit(d, name); err != nil {
				return err
			}
		}
		state[name] = 2
		order = append(order, db.Path[name])
		return nil
	}
	for _, w := range wanted {
		if err := visit(ModuleName(w), ""); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Names returns the sorted module names of db (for error hints and tests).
func (db *ModuleDB) Names() []string {
	n := make([]string, 0, len(db.Path))
	for k := range db.Path {
		n = append(n, k)
	}
	sort.Strings(n)
	return n
}
