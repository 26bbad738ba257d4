package update

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ucvm/ucvm/internal/boot"
)

// Options select the machine and the network behaviour.
type Options struct {
	Root    string        // "/" = the running machine; the scratch disk is Root/mnt/.rw
	Timeout time.Duration // per network attempt (default 10 s)
	Now     func() time.Time
}

func (o *Options) defaults() {
	if o.Root == "" {
		o.Root = "/"
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// OSVersion is one snapshot of the OS repository.
type OSVersion struct {
	RootHash  string
	Tag       string
	Revision  uint64 // 0 = unknown
	Timestamp int64
}

func (v OSVersion) String() string {
	var parts []string
	if v.Revision > 0 {
		parts = append(parts, fmt.Sprintf("revision %d", v.Revision))
	}
	if v.Tag != "" {
		parts = append(parts, "tag "+v.Tag)
	}
	if v.Timestamp > 0 {
		parts = append(parts, time.Unix(v.Timestamp, 0).UTC().Format("2006-01-02 15:04 UTC"))
	}
	parts = append(parts, "root hash "+v.RootHash)
	return strings.Join(parts, ", ")
}

// Status compares the machine with the repository.
type Status struct {
	FQRN             string
	Installed        *OSVersion // nil: not pinned (the next boot pins the newest)
	ForcedTag        string     // aux/cvmfs_force_tag
	Available        OSVersion  // what an unpinned boot mounts now
	NewestTag        string
	OSUpdate         bool
	BootRunning      string // aux/ucernvm-version
	BootAvailable    *Pack  // nil: the repository has no update packs
	BootStaged       string // version in kexec/apply, if any
	BootloaderUpdate bool
	Policy           string
}

// Updates reports whether anything is available.
func (s *Status) Updates() bool { return s.OSUpdate || s.BootloaderUpdate }

// Check reads the machine state and the repository.
func Check(ctx context.Context, o Options) (*Status, error) {
	o.defaults()
	st, rem, err := check(ctx, o)
	if rem != nil {
		rem.Close()
	}
	return st, err
}

// check is Check that leaves the repository open for the caller.
func check(ctx context.Context, o Options) (*Status, *remote, error) {
	rw := RWDir(o.Root)
	if fi, err := os.Stat(rw); err != nil || !fi.IsDir() {
		return nil, nil, fmt.Errorf("%s is not a ucvm scratch disk (not booted by ucvm? use --root DIR)", rw)
	}
	cfg, err := LoadConfig(o.Root)
	if err != nil {
		return nil, nil, err
	}
	pin, err := boot.ReadSnapshot(rw)
	if err != nil {
		return nil, nil, err
	}
	rem, err := openRemote(ctx, cfg, o.Timeout)
	if err != nil {
		return nil, nil, err
	}
	st := &Status{FQRN: cfg.FQRN, ForcedTag: boot.ReadForceTag(rw), NewestTag: rem.newestTag(ctx)}
	tag := cfg.Tag
	if !cfg.TagSet && pin != nil {
		tag = pin.Tag
	}
	if st.ForcedTag != "" {
		tag = st.ForcedTag
	}
	if st.Available, err = rem.target(ctx, tag); err != nil {
		return nil, rem, err
	}
	if pin != nil {
		st.Installed = &OSVersion{RootHash: pin.RootHash, Tag: pin.Tag, Revision: rem.revisionOf(ctx, pin.RootHash)}
		st.OSUpdate = pin.RootHash != st.Available.RootHash
	}
	st.BootRunning = readLine(filepath.Join(rw, boot.VersionFile))
	if a, err := readApplyVersion(rw); err == nil {
		st.BootStaged = a
	}
	p, err := newestPack(ctx, rem.repo)
	switch {
	case err == nil:
		st.BootAvailable = &p
		have := st.BootRunning
		if st.BootStaged != "" {
			have = st.BootStaged
		}
		st.BootloaderUpdate = have != "" && CompareVersions(p.Version, have) > 0
	case !errors.Is(err, errNoPacks):
		return nil, rem, err
	}
	if p, err := readPolicy(rw); err == nil {
		st.Policy = p
	}
	return st, rem, nil
}

func readLine(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	l, _, _ := strings.Cut(string(b), "\n")
	return strings.TrimSpace(l)
}

// Print writes the plain `ucvm update` report.
func (s *Status) Print(w io.Writer) {
	fmt.Fprintf(w, "OS repository:         %s\n", s.FQRN)
	switch {
	case s.Installed == nil:
		fmt.Fprintf(w, "OS installed:          not pinned (the next boot mounts and pins the newest)\n")
	default:
		fmt.Fprintf(w, "OS installed:          %s\n", s.Installed)
	}
	if s.ForcedTag != "" {
		fmt.Fprintf(w, "OS forced tag:         %s (every boot mounts it)\n", s.ForcedTag)
	}
	fmt.Fprintf(w, "OS available:          %s\n", s.Available)
	if s.NewestTag != "" {
		fmt.Fprintf(w, "OS newest tag:         %s\n", s.NewestTag)
	}
	fmt.Fprintf(w, "Bootloader running:    %s\n", orDash(s.BootRunning))
	if s.BootStaged != "" {
		fmt.Fprintf(w, "Bootloader staged:     %s (applied at the next boot)\n", s.BootStaged)
	}
	if s.BootAvailable != nil {
		fmt.Fprintf(w, "Bootloader available:  %s (%s)\n", s.BootAvailable.Version, s.BootAvailable.Path)
	} else {
		fmt.Fprintf(w, "Bootloader available:  - (no %s in the repository)\n", PacksDir)
	}
	fmt.Fprintf(w, "Update policy:         %s\n", orDash(s.Policy))
	for _, n := range s.Notices() {
		fmt.Fprintln(w, n)
	}
}

// Notices are the lines that announce available updates.
func (s *Status) Notices() []string {
	var out []string
	if s.OSUpdate {
		out = append(out, fmt.Sprintf("*** ucvm: OS update available (%s). Run 'sudo ucvm update --apply' and reboot.", describe(s.Available)))
	}
	if s.BootloaderUpdate {
		out = append(out, fmt.Sprintf("*** ucvm: bootloader %s available. Run 'sudo ucvm update --bootloader' and reboot.", s.BootAvailable.Version))
	}
	return out
}

func describe(v OSVersion) string {
	if v.Tag != "" {
		return fmt.Sprintf("tag %s, revision %d", v.Tag, v.Revision)
	}
	return fmt.Sprintf("revision %d", v.Revision)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
