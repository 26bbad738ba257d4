package update

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ucvm/ucvm/internal/boot"
	"github.com/ucvm/ucvm/internal/kexec"
	"github.com/ucvm/ucvm/internal/rebase"
	"github.com/ucvm/ucvm/internal/userdata"
)

// Errors callers branch on.
var (
	ErrPolicyStay = errors.New("update policy is stay")
	ErrUpToDate   = errors.New("already up to date")
	ErrUnpinned   = errors.New("already unpinned: reboot to mount and pin the newest snapshot")
)

func readApplyVersion(rw string) (string, error) {
	a, err := kexec.ReadApply(filepath.Join(rw, kexec.Dir))
	return a.Version, err
}

func readPolicy(rw string) (string, error) {
	p, err := rebase.ReadPolicy(rw)
	return string(p), err
}

// Applied reports an unpin.
type Applied struct {
	Status   *Status
	Archived []string // archived pin files
}

// ApplyOS unpins the OS: aux/cvmfs_snapshot and aux/cvmfs_force_tag are
// archived as <name>.upd-<old>-to-<new>-<UTC time>, so that the next boot
// mounts the newest snapshot (or tag) and pins it again, and rebases the
// local changes with the machine's policy. Refused under policy stay;
// ErrUpToDate when the pin is already the newest.
func ApplyOS(ctx context.Context, o Options) (*Applied, error) {
	o.defaults()
	rw := RWDir(o.Root)
	if p, err := rebase.ReadPolicy(rw); err != nil {
		return nil, err
	} else if p == rebase.Stay {
		return nil, fmt.Errorf("%w: this machine keeps its OS (set another with `ucvm update --policy rebase|diverge`)", ErrPolicyStay)
	}
	st, err := Check(ctx, o)
	if err != nil {
		return nil, err
	}
	if st.Installed == nil && st.ForcedTag == "" {
		return &Applied{Status: st}, ErrUnpinned
	}
	if !st.OSUpdate && st.ForcedTag == "" {
		return &Applied{Status: st}, ErrUpToDate
	}
	files, err := unpin(rw, st, o)
	if err != nil {
		return nil, err
	}
	removeNotices(filepath.Join(o.Root, "etc/motd"), "OS update")
	return &Applied{Status: st, Archived: files}, nil
}

// unpin archives the pin and the forced tag.
func unpin(rw string, st *Status, o Options) ([]string, error) {
	from := "unpinned"
	if st.Installed != nil {
		from = versionLabel(*st.Installed)
	}
	suffix := fmt.Sprintf(".upd-%s-to-%s-%s", from, versionLabel(st.Available), o.Now().UTC().Format("20060102T150405Z"))
	var archived []string
	for _, f := range []string{boot.SnapshotFile, boot.ForceTagFile} {
		p := filepath.Join(rw, f)
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err := os.Rename(p, p+suffix); err != nil {
			return archived, fmt.Errorf("archive %s: %w", f, err)
		}
		archived = append(archived, p+suffix)
	}
	return archived, nil
}

func versionLabel(v OSVersion) string {
	switch {
	case v.Revision > 0:
		return fmt.Sprintf("r%d", v.Revision)
	case len(v.RootHash) >= 12:
		return v.RootHash[:12]
	}
	return "unknown"
}

// ForceTag makes every following boot mount tag (checked to exist): the
// pin is archived and aux/cvmfs_force_tag written. `ucvm update --apply`
// (or deleting the file) returns to following the newest snapshot.
func ForceTag(ctx context.Context, o Options, tag string) (*Status, error) {
	o.defaults()
	rw := RWDir(o.Root)
	if strings.TrimSpace(tag) == "" || strings.ContainsAny(tag, "\n\x00") {
		return nil, fmt.Errorf("tag %q: give the name of a repository tag (see `ucvm update`)", tag)
	}
	st, rem, err := check(ctx, o)
	if rem != nil {
		defer rem.Close()
	}
	if err != nil {
		return nil, err
	}
	if st.Available, err = rem.target(ctx, tag); err != nil {
		return nil, err
	}
	if _, err := unpin(rw, st, o); err != nil {
		return nil, err
	}
	if err := userdata.WriteFileAtomic(filepath.Join(rw, boot.ForceTagFile), []byte(tag+"\n"), 0o644); err != nil {
		return nil, err
	}
	return st, nil
}

// StageBootloader downloads, verifies and unpacks the newest update pack
// into the scratch disk's kexec/ directory; ErrUpToDate when the running
// (or already staged) bootloader is not older.
func StageBootloader(ctx context.Context, o Options) (*Staged, error) {
	o.defaults()
	st, rem, err := check(ctx, o)
	if rem != nil {
		defer rem.Close()
	}
	if err != nil {
		return nil, err
	}
	if st.BootAvailable == nil {
		return nil, fmt.Errorf("%w: the repository %s has no %s directory", errNoPacks, st.FQRN, PacksDir)
	}
	if !st.BootloaderUpdate {
		return &Staged{Pack: *st.BootAvailable}, ErrUpToDate
	}
	cfg, err := LoadConfig(o.Root)
	if err != nil {
		return nil, err
	}
	s, err := stagePack(ctx, rem.repo, *st.BootAvailable, RWDir(o.Root), cfg.CA)
	if err != nil {
		return nil, err
	}
	removeNotices(filepath.Join(o.Root, "etc/motd"), "bootloader")
	return s, nil
}

// SetPolicy stores the update policy of the machine.
func SetPolicy(o Options, p rebase.Policy) error {
	o.defaults()
	return rebase.WritePolicy(RWDir(o.Root), p)
}
