package boot

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/kexec"
	"github.com/ucvm/ucvm/internal/rebase"
)

// stepKexec applies a bootloader update staged by `ucvm update
// --bootloader` (spec 12kexec). Call it after stepResize: when
// kexec/apply names another version, MaybeApply does not return.
func (b *Boot) stepKexec() {
	a, err := kexec.Decide(RootRW, b.Version)
	if errors.Is(err, kexec.ErrNothingToDo) {
		return
	}
	if err != nil {
		b.Con.Warn("bootloader update: %v", err)
		return
	}
	b.Con.Start("kexec into bootloader %s...", a.Version)
	cmdline, _ := os.ReadFile("/proc/cmdline")
	if err := kexec.MaybeApply(RootRW, b.Version, string(cmdline)); err != nil {
		b.Con.Fail()
		b.Con.Warn("%v", err)
	}
}

// stepRebase reconciles persistent/ with a freshly mounted snapshot (spec
// 15rebase). Call it after stepRepository, before stepRoot.
func (b *Boot) stepRebase() {
	if b.mounted == nil {
		return
	}
	lower := filepath.Join(RootRO, b.repo.OSPath)
	res, err := rebase.AtBoot(RootRW, lower, b.mounted.RootHash, b.repo.Fresh, slog.Default())
	if res == nil && err == nil {
		return
	}
	b.Con.Start("Rebasing system to new version...")
	if err != nil {
		b.Con.Fail()
		b.Con.Warn("rebase: %v", err)
		return
	}
	b.Con.Result("check (policy %s: %d restored, %d kept, %d replaced; log %s)",
		res.Policy, res.Restored+res.Unopaqued, res.Preserved, res.Dropped, filepath.Base(res.Log))
	if res.UIDMapEntries+res.GIDMapEntries == 0 {
		return
	}
	b.Con.Start("Merging account databases...")
	if err := b.remountRepository(); err != nil {
		b.Con.Fail()
		b.panic("Unable to re-mount cvmfs with the new id maps: %v", err)
		return
	}
	b.Con.OK()
}

// remountRepository mounts the pinned snapshot again so that the new
// uid/gid maps take effect.
func (b *Boot) remountRepository() error {
	pid := b.mounted.PID
	if err := unix.Unmount(RootRO, 0); err != nil {
		return err
	}
	for i := 0; i < 100 && unix.Kill(pid, 0) == nil; i++ { // the daemon exits when unmounted
		time.Sleep(50 * time.Millisecond)
	}
	s := b.repo
	s.RootHash, s.Fresh = b.mounted.RootHash, false
	m, err := b.Mounter.Mount(s)
	if err != nil {
		return err
	}
	b.mounted = m
	return nil
}
