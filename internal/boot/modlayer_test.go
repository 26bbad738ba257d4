package boot

import (
	"os"
	"path/filepath"
	"testing"
)

// TestModulesPath: the modules layer follows the OS's lib symlink
// (usrmerge), with or without an existing modules directory.
func TestModulesPath(t *testing.T) {
	for name, c := range map[string]struct {
		setup func(root string)
		want  string
	}{
		"no lib":    {func(string) {}, "lib/modules"},
		"plain lib": {func(r string) { os.Mkdir(filepath.Join(r, "lib"), 0o755) }, "lib/modules"},
		"usrmerge": {func(r string) {
			os.MkdirAll(filepath.Join(r, "usr/lib"), 0o755)
			os.Symlink("usr/lib", filepath.Join(r, "lib"))
		}, "usr/lib/modules"},
		"absolute": {func(r string) {
			os.MkdirAll(filepath.Join(r, "usr/lib/modules"), 0o755)
			os.Symlink("/usr/lib", filepath.Join(r, "lib"))
		}, "usr/lib/modules"},
		"modules ln": {func(r string) {
			os.MkdirAll(filepath.Join(r, "lib/m2"), 0o755)
			os.Symlink("m2", filepath.Join(r, "lib/modules"))
		}, "lib/m2"},
		"escape": {func(r string) { os.Symlink("../../..", filepath.Join(r, "lib")) }, "modules"},
	} {
		root := t.TempDir()
		c.setup(root)
		if got := modulesPath(root); got != c.want {
			t.Errorf("%s: %q, want %q", name, got, c.want)
		}
	}
}
