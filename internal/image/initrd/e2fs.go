package initrd

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// E2fsPrograms are the e2fsprogs tools the bootloader uses when present:
// mke2fs formats a 20 GiB scratch disk in a fraction of a second (lazy inode
// tables) where the pure-Go fallback writes every inode table; e2fsck
// checks the scratch disk on every boot; resize2fs grows it.
var E2fsPrograms = []string{"/sbin/mke2fs", "/sbin/e2fsck", "/sbin/resize2fs"}

var libDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// addE2fsprogs adds the e2fsprogs programs with their shared-library
// closure (found from the ELF headers, no ldd), the dynamic loader and
// /etc/mke2fs.conf.
func (a *Archive) addE2fsprogs() error {
	files := map[string]bool{}
	for _, p := range E2fsPrograms {
		if err := elfClosure(p, files); err != nil {
			return fmt.Errorf("%w: %s: %v (apt-get install e2fsprogs, or set e2fsprogs: false)", ErrInput, p, err)
		}
	}
	names := make([]string, 0, len(files))
	for f := range files {
		names = append(names, f)
	}
	sort.Strings(names)
	added := map[string]string{} // real path -> first archive name
	for _, f := range names {
		real, err := filepath.EvalSymlinks(f)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrInput, f, err)
		}
		if first, ok := added[real]; ok { // e.g. the loader as /lib64/... and /lib/x86_64-linux-gnu/...
			a.Symlink(f, "/"+clean(first))
			continue
		}
		added[real] = f
		if err := a.addFile(f, real, 0o755, KindOther, "e2fsprogs file"); err != nil {
			return err
		}
	}
	if _, err := os.Stat("/etc/mke2fs.conf"); err == nil {
		return a.addFile("etc/mke2fs.conf", "/etc/mke2fs.conf", 0o644, KindOther, "mke2fs configuration")
	}
	return nil
}

// elfClosure adds p, its interpreter and its DT_NEEDED libraries (recursively).
func elfClosure(p string, seen map[string]bool) error {
	if seen[p] {
		return nil
	}
	seen[p] = true
	f, err := elf.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			b := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(b, 0); err != nil {
				return err
			}
			interp := string(b[:len(b)-1]) // NUL-terminated
			seen[interp] = true
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return err
	}
	for _, l := range libs {
		path := ""
		for _, d := range libDirs {
			if _, err := os.Stat(filepath.Join(d, l)); err == nil {
				path = filepath.Join(d, l)
				break
			}
		}
		if path == "" {
			return fmt.Errorf("library %s of %s not found", l, p)
		}
		if err := elfClosure(path, seen); err != nil {
			return err
		}
	}
	return nil
}
