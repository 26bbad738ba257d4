package boot

import (
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ModulesLayer is the initramfs directory that holds the initrd's kernel
// modules at the place the OS keeps its modules (e.g.
// /ucvm-modules/usr/lib/modules/<release> for a usrmerged OS). It is the
// top lower layer of the union root, so the OS finds the modules of the
// running kernel without a copy (the original copied them into the OS on
// every first boot: 0.4 s under emulation); on top, because a boot layer
// holds whiteouts for the names the repository lacks (lib/modules of a
// tree without a kernel among them). Its directories above <release> get
// the OS's attributes. SwitchRoot keeps it; it stays in memory (the
// initrd's modules, a few MB) while the OS runs.
const ModulesLayer = "/ucvm-modules"

// modulesLayer moves the initrd's modules of the running kernel into
// ModulesLayer, at the path the OS tree os (the repository's, as mounted)
// resolves lib/modules to, and returns ModulesLayer; "" when there is
// nothing to add: no modules, or the OS or the scratch disk's upper layer
// has that kernel's modules already (they win, as with the copy before).
func modulesLayer(osTree, upper string) string {
	kver := KernelRelease()
	src := filepath.Join("/lib/modules", kver)
	if kver == "" {
		return ""
	}
	if st, err := os.Lstat(src); err != nil || !st.IsDir() {
		return ""
	}
	rel := modulesPath(osTree)
	if exists(filepath.Join(osTree, rel, kver)) || exists(filepath.Join(upper, rel, kver)) {
		return ""
	}
	dst := filepath.Join(ModulesLayer, rel, kver)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return ""
	}
	if err := os.Rename(src, dst); err != nil {
		return ""
	}
	_ = os.Symlink(dst, src) // the bootloader may still load from /lib/modules
	for d := rel; d != "." && d != "/"; d = path.Dir(d) {
		copyDirAttrs(filepath.Join(osTree, d), filepath.Join(ModulesLayer, d))
	}
	return ModulesLayer
}

// copyDirAttrs gives directory dst the owner, mode and times of src, if
// src is a directory (a top layer's directory shows its own attributes).
func copyDirAttrs(src, dst string) {
	var st unix.Stat_t
	if unix.Lstat(src, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return
	}
	_ = os.Lchown(dst, int(st.Uid), int(st.Gid))
	_ = unix.Chmod(dst, st.Mode&0o7777)
	_ = unix.UtimesNano(dst, []unix.Timespec{st.Atim, st.Mtim})
}

// modulesPath returns where the OS tree at osTree keeps kernel modules,
// relative to it: lib/modules with its symlinks resolved (usr/lib/modules
// for a usrmerged OS), also when lib/modules does not exist yet.
func modulesPath(osTree string) string {
	for _, c := range []struct{ p, suffix string }{{"/lib/modules", ""}, {"/lib", "modules"}} {
		r, err := resolveIn(osTree, c.p)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(osTree, r); err == nil && (rel != "." || c.suffix != "") && !strings.HasPrefix(rel, "..") {
			return path.Join(filepath.ToSlash(rel), c.suffix)
		}
	}
	return "lib/modules"
}

// unmoveModules undoes modulesLayer (the union root is mounted without
// it, and stepHotfixes copies them as before).
func unmoveModules(layer string) {
	if layer == "" {
		return
	}
	kver := KernelRelease()
	src := filepath.Join("/lib/modules", kver)
	dst, err := os.Readlink(src)
	if err != nil {
		return
	}
	if os.Remove(src) == nil {
		_ = os.Rename(dst, src)
	}
}
