package image

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/ucvm/ucvm/internal/image/bootbin"
	"github.com/ucvm/ucvm/internal/image/formats"
	"github.com/ucvm/ucvm/internal/image/initrd"
	"github.com/ucvm/ucvm/internal/image/kernel"
	"github.com/ucvm/ucvm/internal/image/spec"
)

// ErrOutput marks an output directory that cannot be written.
var ErrOutput = errors.New("output directory")

// Options steer one build beyond the spec.
type Options struct {
	Out        string    // output directory (created if missing)
	CacheDir   string    // kernel cache ("" = kernel.DefaultCacheDir)
	Progress   io.Writer // progress lines (nil = none)
	Bootloader string    // prebuilt /init, overrides the spec
	PACHelper  string    // prebuilt cmd/ucvm-pac, overrides the spec
	Epoch      int64     // 0 = $SOURCE_DATE_EPOCH or the first day of the spec's month
}

// Artifact is one written file.
type Artifact struct {
	Branch, Format, Path string
	Size                 int64
	Duration             time.Duration
	SHA256               string
}

// Report is the outcome of a build.
type Report struct {
	Version       string
	KernelVersion string
	KernelBytes   int64
	Initrds       map[string]initrd.Stats // by branch
	Artifacts     []Artifact
	Warnings      []string
	Total         time.Duration
}

// Size budget (issue #4): ISO ≤ 16 MB, initrd ≤ 7 MB (decimal megabytes).
const (
	BudgetISO    = 16_000_000 // bytes: the 16 MB (decimal, as its "~8.2 MB" kernel)
	BudgetInitrd = 7_000_000
)

// Epoch returns the time stamp used for every file of the build.
func Epoch(s *spec.Spec) (int64, error) {
	if v := os.Getenv("SOURCE_DATE_EPOCH"); v != "" {
		e, err := strconv.ParseInt(v, 10, 64)
		if err != nil || e < 0 {
			return 0, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since 1970", v)
		}
		return e, nil
	}
	t, err := time.Parse("2006.01", s.Version)
	if err != nil {
		return 0, err
	}
	return t.Unix(), nil
}

type builder struct {
	s      *spec.Spec
	o      Options
	work   string // temp dir inside Out
	rep    *Report
	kern   *kernel.Kernel
	init   string
	pac    string // PAC helper ("" = none)
	busy   string
	epoch  int64
	nSteps int
	step   int
}

func (b *builder) progress(format string, args ...any) {
	if b.o.Progress != nil {
		fmt.Fprintf(b.o.Progress, format+"\n", args...)
	}
}

// Build makes every format of every branch of s into o.Out.
func Build(ctx context.Context, s *spec.Spec, o Options) (*Report, error) {
	start := time.Now()
	b := &builder{s: s, o: o, rep: &Report{Version: s.StrongVersion(), Initrds: map[string]initrd.Stats{}}}
	if err := b.prepareOut(); err != nil {
		return nil, err
	}
	defer os.RemoveAll(b.work)
	if err := b.inputs(ctx); err != nil {
		return nil, err
	}
	b.nSteps = len(s.Branches) * (len(s.Formats) + 1)
	var staged []Artifact
	for _, br := range s.Branches {
		arts, err := b.branch(ctx, br)
		if err != nil {
			return nil, fmt.Errorf("branch %s: %w", br.Name, err)
		}
		staged = append(staged, arts...)
	}
	if err := b.publish(staged); err != nil {
		return nil, err
	}
	b.rep.Total = time.Since(start)
	b.budget()
	return b.rep, nil
}

func (b *builder) prepareOut() error {
	if b.o.Out == "" {
		return fmt.Errorf("%w: none given (use --out DIR)", ErrOutput)
	}
	if err := os.MkdirAll(b.o.Out, 0o755); err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	w, err := os.MkdirTemp(b.o.Out, ".ucvm-build-")
	if err != nil {
		return fmt.Errorf("%w: %s is not writable: %w", ErrOutput, b.o.Out, err)
	}
	b.work = w
	return nil
}

func (b *builder) inputs(ctx context.Context) error {
	var err error
	if b.epoch = b.o.Epoch; b.epoch == 0 {
		if b.epoch, err = Epoch(b.s); err != nil {
			return err
		}
	}
	b.progress("kernel: %s", b.s.Kernel.Source)
	if b.s.Kernel.Source == "tree" {
		b.kern, err = kernel.FromTree(b.s.Path(b.s.Kernel.Vmlinuz), b.s.Path(b.s.Kernel.ModulesDir))
	} else {
		b.kern, err = kernel.Fetch(ctx, b.o.CacheDir)
	}
	if err != nil {
		return err
	}
	if fi, err := os.Stat(b.kern.Vmlinuz); err == nil {
		b.rep.KernelBytes = fi.Size()
	}
	b.rep.KernelVersion = b.kern.Version
	if err := b.bootloader(ctx); err != nil {
		return err
	}
	if b.s.Busybox {
		b.busy = "/bin/busybox"
		if _, err := os.Stat(b.busy); err != nil {
			return fmt.Errorf("busybox: %w (apt-get install busybox-static, or set busybox: false)", err)
		}
	}
	return nil
}

func (b *builder) bootloader(ctx context.Context) error {
	bl := b.s.Bootloader
	b.pac = b.o.PACHelper
	if b.pac == "" && bl.PACHelper != "" {
		b.pac = b.s.Path(bl.PACHelper)
	}
	switch {
	case b.o.Bootloader != "":
		b.init = b.o.Bootloader
	case bl.Binary != "":
		b.init = b.s.Path(bl.Binary)
	default:
		return b.buildBootloader(ctx, bl)
	}
	for _, p := range []string{b.init, b.pac} {
		if _, err := os.Stat(p); p != "" && err != nil {
			return fmt.Errorf("bootloader binary: %w", err)
		}
	}
	return nil
}

// buildBootloader builds /init from source, with the PAC engine linked in
// or, for initrds compressed to be fast to unpack, beside it as the helper
// (bootbin.BuildForInitrd); a prebuilt helper named instead is kept.
func (b *builder) buildBootloader(ctx context.Context, bl spec.Bootloader) error {
	root := b.s.Path(bl.ModuleRoot)
	if root == "" {
		wd, _ := os.Getwd()
		var err error
		if root, err = bootbin.FindModuleRoot(wd); err != nil {
			return err
		}
	}
	inInit := b.pac == "" && bootbin.PACInInit(b.s.Compression) // a named helper serves /init without the engine
	init, helper, err := bootbin.BuildForInitrd(ctx, root, bl.Package, b.work, inInit,
		func(s string) { b.progress("bootloader: %s", s) })
	if err != nil {
		return err
	}
	b.init = init
	if b.pac == "" {
		b.pac = helper
	}
	return nil
}

func (b *builder) keyFiles(br spec.Branch) []string {
	out := make([]string, len(br.Keys))
	for i, k := range br.Keys {
		out[i] = b.s.Path(k)
	}
	return out
}

func (b *builder) branch(ctx context.Context, br spec.Branch) ([]Artifact, error) {
	dir := filepath.Join(b.work, br.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	if len(br.Keys) == 0 {
		b.rep.Warnings = append(b.rep.Warnings, fmt.Sprintf("branch %s has no public keys: the bootloader cannot verify %s", br.Name, br.FQRN))
	}
	b.step++
	t0 := time.Now()
	img := filepath.Join(dir, "initrd.img")
	f, err := os.Create(img)
	if err != nil {
		return nil, err
	}
	st, err := initrd.Build(initrd.Options{Init: b.init, StrongVersion: b.s.StrongVersion(), Kernel: b.kern,
		Modules: b.s.Modules, Branch: br, KeyFiles: b.keyFiles(br), CACerts: b.s.CACertificates,
		Busybox: b.busy, PACHelper: b.pac, E2fsprogs: b.s.E2fsprogs, Compression: b.s.Compression, Epoch: b.epoch}, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	b.rep.Initrds[br.Name] = st
	b.progress("[%d/%d] %s initrd: %s (%d modules) in %.1fs", b.step, b.nSteps, br.Name, mb(st.CompressedBytes), len(st.Modules), time.Since(t0).Seconds())
	in := &formats.Input{Version: b.s.StrongVersion(), KernelVersion: b.kern.Version, Kernel: b.kern.Vmlinuz,
		Initrd: img, Branch: br, ExtraParams: b.s.KernelParams, Epoch: b.epoch}
	var arts []Artifact
	for _, f := range b.s.Formats {
		a, err := b.format(ctx, in, dir, br.Name, f)
		if err != nil {
			return nil, fmt.Errorf("format %s: %w", f, err)
		}
		arts = append(arts, a)
	}
	return arts, nil
}

func (b *builder) format(ctx context.Context, in *formats.Input, dir, branch, f string) (Artifact, error) {
	b.step++
	work, err := os.MkdirTemp(dir, "work-")
	if err != nil {
		return Artifact{}, err
	}
	defer os.RemoveAll(work)
	in.Work = work
	name := formats.FileName(branch, b.s.StrongVersion(), f)
	p := filepath.Join(dir, name)
	t0 := time.Now()
	if err := formats.Build(ctx, f, in, p); err != nil {
		return Artifact{}, err
	}
	a := Artifact{Branch: branch, Format: f, Path: p, Duration: time.Since(t0)}
	sum, size, err := hashFile(p)
	if err != nil {
		return a, err
	}
	a.SHA256, a.Size = sum, size
	if err := os.WriteFile(p+".sha256", []byte(sum+"  "+name+"\n"), 0o644); err != nil {
		return a, err
	}
	b.progress("[%d/%d] %s %s: %s in %.1fs", b.step, b.nSteps, branch, name, mb(size), a.Duration.Seconds())
	return a, nil
}

func hashFile(p string) (string, int64, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return fmt.Sprintf("%x", h.Sum(nil)), n, err
}

// publish renames the staged files into the output directory.
func (b *builder) publish(arts []Artifact) error {
	for _, a := range arts {
		dst := filepath.Join(b.o.Out, filepath.Base(a.Path))
		for _, suf := range []string{"", ".sha256"} {
			if err := os.Rename(a.Path+suf, dst+suf); err != nil {
				return fmt.Errorf("%w: %w", ErrOutput, err)
			}
		}
		a.Path = dst
		b.rep.Artifacts = append(b.rep.Artifacts, a)
	}
	return nil
}

func (b *builder) budget() {
	for _, br := range b.s.Branches {
		if st := b.rep.Initrds[br.Name]; st.CompressedBytes > BudgetInitrd {
			b.rep.Warnings = append(b.rep.Warnings, fmt.Sprintf("initrd of %s is %s, over the %s budget", br.Name, decMB(st.CompressedBytes), decMB(BudgetInitrd)))
		}
	}
	for _, a := range b.rep.Artifacts {
		if a.Format == "iso" && a.Size > BudgetISO {
			b.rep.Warnings = append(b.rep.Warnings, fmt.Sprintf("%s is %s, over the %s ISO budget", filepath.Base(a.Path), decMB(a.Size), decMB(BudgetISO)))
		}
	}
}

func mb(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }

// decMB formats a size in decimal megabytes, the unit of the budget.
func decMB(n int64) string { return fmt.Sprintf("%.2f MB", float64(n)/1e6) }
