package kernel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Kernel is an unpacked kernel with its modules.
type Kernel struct {
	Version    string `json:"version"`     // uname -r, e.g. 6.1.0-56-amd64
	Package    string `json:"package"`     // Debian package, e.g. linux-image-6.1.0-56-amd64
	Vmlinuz    string `json:"vmlinuz"`     // bzImage
	Vmlinux    string `json:"vmlinux"`     // uncompressed ELF for PVH boots ("" if not extracted)
	ModulesDir string `json:"modules_dir"` // .../lib/modules/<Version>, with modules.dep
}

// ConfigEnabled reports whether the kernel's build configuration
// (boot/config-<version> of its package) sets option to y; false when the
// configuration is not there.
func (k *Kernel) ConfigEnabled(option string) bool {
	b, err := os.ReadFile(filepath.Join(k.ModulesDir, "..", "..", "..", "boot", "config-"+k.Version))
	if err != nil {
		return false
	}
	return bytes.Contains(append([]byte("\n"), b...), []byte("\n"+option+"=y\n"))
}

// MetaPackage is the Debian package that points at the current kernel.
const MetaPackage = "linux-image-amd64"

// ErrNoKernel marks a kernel that could not be found or fetched.
var ErrNoKernel = errors.New("no kernel")

// DefaultCacheDir is $UCVM_CACHE, or ~/.cache/ucvm.
func DefaultCacheDir() string {
	if d := os.Getenv("UCVM_CACHE"); d != "" {
		return d
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "ucvm")
	}
	return filepath.Join(os.TempDir(), "ucvm-cache")
}

var dependsRE = regexp.MustCompile(`(?m)^\s*Depends:\s*(linux-image-[0-9][^\s]*)`)

// ResolvePackage asks apt which linux-image-<abi>-amd64 the meta package
// depends on.
func ResolvePackage(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "apt-cache", "depends", MetaPackage).Output()
	if err != nil {
		return "", fmt.Errorf("%w: apt-cache depends %s: %w (run apt-get update)", ErrNoKernel, MetaPackage, err)
	}
	m := dependsRE.FindSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("%w: %s has no linux-image dependency in apt's lists (run apt-get update)", ErrNoKernel, MetaPackage)
	}
	return string(m[1]), nil
}

// Fetch returns Debian's current amd64 kernel, unpacked in cacheDir (""
// means DefaultCacheDir). The first call downloads the package with
// apt-get download, unpacks it with dpkg -x, runs depmod and extracts
// vmlinux; later calls (from any process) reuse the cache.
func Fetch(ctx context.Context, cacheDir string) (*Kernel, error) {
	if cacheDir == "" {
		cacheDir = DefaultCacheDir()
	}
	base := filepath.Join(cacheDir, "kernel")
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, fmt.Errorf("kernel cache: %w", err)
	}
	unlock, err := lockFile(filepath.Join(base, ".lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()
	current := filepath.Join(base, "current")
	if k, ok := freshCurrent(base, current); ok {
		return k, nil
	}
	pkg, err := ResolvePackage(ctx)
	if err != nil && os.Geteuid() == 0 {
		// Fresh machines may lack apt's package lists.
		if uerr := run(ctx, "/", "apt-get", "update", "-q"); uerr == nil {
			pkg, err = ResolvePackage(ctx)
		}
	}
	if err != nil {
		if k, cerr := newestCached(base); cerr == nil {
			slog.Warn("kernel: using cached kernel", "package", k.Package, "reason", err)
			return k, nil
		}
		return nil, err
	}
	dir := filepath.Join(base, pkg)
	k, err := readMeta(dir)
	if err != nil {
		if k, err = unpack(ctx, base, pkg); err != nil {
			return nil, err
		}
	}
	os.WriteFile(current, []byte(pkg+"\n"), 0o644)
	return k, nil
}

// ResolveTTL is how long the package apt resolved stays current; within it
// Fetch does not ask apt again (apt-cache takes seconds on a busy host).
const ResolveTTL = 12 * time.Hour

func freshCurrent(base, current string) (*Kernel, bool) {
	fi, err := os.Stat(current)
	if err != nil || time.Since(fi.ModTime()) > ResolveTTL {
		return nil, false
	}
	b, err := os.ReadFile(current)
	if err != nil {
		return nil, false
	}
	k, err := readMeta(filepath.Join(base, strings.TrimSpace(string(b))))
	return k, err == nil
}

func lockFile(p string) (func(), error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("kernel cache lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("kernel cache lock: %w", err)
	}
	return func() { syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

func readMeta(dir string) (*Kernel, error) {
	b, err := os.ReadFile(filepath.Join(dir, "kernel.json"))
	if err != nil {
		return nil, err
	}
	var k Kernel
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, err
	}
	for _, f := range []string{k.Vmlinuz, k.Vmlinux, filepath.Join(k.ModulesDir, "modules.dep")} {
		if _, err := os.Stat(f); err != nil {
			return nil, err
		}
	}
	return &k, nil
}

func newestCached(base string) (*Kernel, error) {
	ents, err := os.ReadDir(base)
	if err != nil {
		return nil, err
	}
	for i := len(ents) - 1; i >= 0; i-- {
		if k, err := readMeta(filepath.Join(base, ents[i].Name())); err == nil {
			return k, nil
		}
	}
	return nil, ErrNoKernel
}

func run(ctx context.Context, dir string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}

func unpack(ctx context.Context, base, pkg string) (*Kernel, error) {
	tmp, err := os.MkdirTemp(base, ".fetch-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	slog.Info("kernel: downloading", "package", pkg)
	if err := run(ctx, tmp, "apt-get", "download", pkg); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoKernel, err)
	}
	debs, _ := filepath.Glob(filepath.Join(tmp, pkg+"_*.deb"))
	if len(debs) != 1 {
		return nil, fmt.Errorf("%w: apt-get download left %d .deb files", ErrNoKernel, len(debs))
	}
	root := filepath.Join(tmp, "root")
	if err := run(ctx, tmp, "dpkg", "-x", debs[0], root); err != nil {
		return nil, err
	}
	os.Remove(debs[0])
	kv := strings.TrimPrefix(pkg, "linux-image-")
	if err := run(ctx, tmp, "depmod", "-b", root, kv); err != nil {
		return nil, fmt.Errorf("%w (apt-get install kmod)", err)
	}
	dir := filepath.Join(base, pkg)
	k := &Kernel{
		Version: kv, Package: pkg,
		Vmlinuz:    filepath.Join(dir, "root", "boot", "vmlinuz-"+kv),
		Vmlinux:    filepath.Join(dir, "vmlinux"),
		ModulesDir: filepath.Join(dir, "root", "lib", "modules", kv),
	}
	if err := ExtractVmlinux(filepath.Join(root, "boot", "vmlinuz-"+kv), filepath.Join(tmp, "vmlinux")); err != nil {
		return nil, err
	}
	meta, _ := json.MarshalIndent(k, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "kernel.json"), meta, 0o644); err != nil {
		return nil, err
	}
	os.RemoveAll(dir)
	if err := os.Rename(tmp, dir); err != nil {
		return nil, err
	}
	return k, nil
}

// FromTree describes a given kernel: a bzImage and its modules directory
// (/lib/modules/<version>, which names the version and must hold
// modules.dep). Vmlinux stays empty.
func FromTree(vmlinuz, modulesDir string) (*Kernel, error) {
	if _, err := os.Stat(vmlinuz); err != nil {
		return nil, fmt.Errorf("%w: kernel %s: %w", ErrNoKernel, vmlinuz, err)
	}
	if _, err := os.Stat(filepath.Join(modulesDir, "modules.dep")); err != nil {
		return nil, fmt.Errorf("%w: modules dir %s has no modules.dep (run depmod -b)", ErrNoKernel, modulesDir)
	}
	return &Kernel{Version: filepath.Base(filepath.Clean(modulesDir)), Vmlinuz: vmlinuz, ModulesDir: modulesDir}, nil
}
