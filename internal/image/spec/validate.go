package spec

import (
	"fmt"
	"strings"
)

// Formats lists every output format in build order.
var Formats = []string{"iso", "hdd", "hvm", "fat", "gce", "vhd", "qcow2", "vdi", "vmdk", "ova", "box", "update"}

// KnownFormat reports whether f is a supported format.
func KnownFormat(f string) bool {
	for _, k := range Formats {
		if k == f {
			return true
		}
	}
	return false
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// Validate checks every field and names the first problem and its fix.
func (s *Spec) Validate() error {
	if !versionRE.MatchString(s.Version) {
		return invalid("version %q: want YYYY.MM, e.g. \"2026.11\"", s.Version)
	}
	if s.Release < 1 {
		return invalid("release %d: want a number >= 1", s.Release)
	}
	if s.Arch != "x86_64" {
		return invalid("arch %q: only x86_64 is supported", s.Arch)
	}
	if err := s.validateKernel(); err != nil {
		return err
	}
	if len(s.Modules) == 0 {
		return invalid("modules: empty; list at least virtio_pci, virtio_blk, ext4, overlay and fuse")
	}
	for _, m := range s.Modules {
		if !nameRE.MatchString(strings.ToLower(m)) {
			return invalid("modules: %q is not a module name", m)
		}
	}
	if s.Bootloader.Package == "" && s.Bootloader.Binary == "" {
		return invalid("bootloader: set package (e.g. ./cmd/ucvm-init) or binary")
	}
	switch s.Compression {
	case "zstd", "xz", "zstd-fast", "lz4", "none":
	default:
		return invalid("compression %q: want xz, zstd, lz4, none or zstd-fast", s.Compression)
	}
	if strings.ContainsAny(s.KernelParams, "\n\r\"") {
		return invalid("kernel_params: must be one line without quotes")
	}
	if err := s.validateBranches(); err != nil {
		return err
	}
	return s.validateFormats()
}

func (s *Spec) validateKernel() error {
	switch s.Kernel.Source {
	case "debian":
		if s.Kernel.Vmlinuz != "" || s.Kernel.ModulesDir != "" {
			return invalid("kernel: vmlinuz/modules_dir need source: tree")
		}
	case "tree":
		if s.Kernel.Vmlinuz == "" || s.Kernel.ModulesDir == "" {
			return invalid("kernel: source tree needs vmlinuz and modules_dir (/lib/modules/<version>)")
		}
	default:
		return invalid("kernel.source %q: want debian or tree", s.Kernel.Source)
	}
	return nil
}

func (s *Spec) validateBranches() error {
	if len(s.Branches) == 0 {
		return invalid("branches: empty; add at least one branch (name, fqrn, os_path, servers, tag)")
	}
	seen := map[string]bool{}
	for i, b := range s.Branches {
		where := fmt.Sprintf("branches[%d]", i)
		if !nameRE.MatchString(b.Name) {
			return invalid("%s.name %q: want lower-case letters, digits, - and _", where, b.Name)
		}
		if seen[b.Name] {
			return invalid("%s.name %q: duplicate branch", where, b.Name)
		}
		seen[b.Name] = true
		where = "branch " + b.Name
		if !fqrnRE.MatchString(b.FQRN) {
			return invalid("%s: fqrn %q is not a repository name like cernvm-prod.cern.ch", where, b.FQRN)
		}
		if !pathRE.MatchString(b.OSPath) || strings.Contains(b.OSPath, "..") {
			return invalid("%s: os_path %q: want a relative path like cvm4", where, b.OSPath)
		}
		if !tagRE.MatchString(b.Tag) {
			return invalid("%s: tag %q: want a repository tag like HEAD4", where, b.Tag)
		}
		if len(b.Servers) == 0 {
			return invalid("%s: servers: empty; list the Stratum-1 hosts", where)
		}
		for _, h := range append(append([]string(nil), b.Servers...), b.CDN...) {
			if !hostRE.MatchString(h) {
				return invalid("%s: server %q: want host[:port][/path], one per list item", where, h)
			}
		}
		for _, k := range b.Keys {
			if k == "" {
				return invalid("%s: keys: empty file name", where)
			}
		}
	}
	return nil
}

func (s *Spec) validateFormats() error {
	if len(s.Formats) == 0 {
		return invalid("formats: empty; choose from %s", strings.Join(Formats, ", "))
	}
	seen := map[string]bool{}
	for _, f := range s.Formats {
		if !KnownFormat(f) {
			return invalid("format %q is not supported; choose from %s", f, strings.Join(Formats, ", "))
		}
		if seen[f] {
			return invalid("format %q listed twice", f)
		}
		seen[f] = true
	}
	return nil
}
