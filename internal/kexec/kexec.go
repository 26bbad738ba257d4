package kexec

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xi2/xz"
	"golang.org/x/sys/unix"
)

// system is the kernel interface MaybeApply uses (replaced in tests).
type system struct {
	load    func(kernelFd, initrdFd int, cmdline string) error
	remount func(dir string) error
	reboot  func() error
}

var linux = system{
	load: func(k, i int, c string) error { return unix.KexecFileLoad(k, i, c, 0) },
	remount: func(dir string) error {
		unix.Sync()
		return unix.Mount("", dir, "", unix.MS_REMOUNT|unix.MS_RDONLY, "")
	},
	reboot: func() error { return unix.Reboot(unix.LINUX_REBOOT_CMD_KEXEC) },
}

// MaybeApply kexecs into the bootloader staged in rwDir/kexec when its
// version differs from runningVersion (see the package documentation). On
// success it does not return.
func MaybeApply(rwDir, runningVersion, cmdline string) error {
	return linux.maybeApply(rwDir, runningVersion, cmdline)
}

// Decide returns the staged update that should be applied: ErrNothingToDo
// if none or it is the running version, ErrLoop if the last kexec into it
// came up with another version. It clears the loop marker when done.
func Decide(rwDir, runningVersion string) (Apply, error) {
	dir := filepath.Join(rwDir, Dir)
	marker := filepath.Join(dir, attempted)
	a, err := ReadApply(dir)
	if err != nil {
		return Apply{}, err
	}
	last, _ := os.ReadFile(marker)
	if !a.Differs(runningVersion) {
		os.Remove(marker)
		return Apply{}, ErrNothingToDo
	}
	if strings.TrimSpace(string(last)) == a.Version {
		os.Remove(marker)
		return Apply{}, fmt.Errorf("%w: kexec into %s came up as %s; not trying again until the next cold boot", ErrLoop, a.Version, runningVersion)
	}
	if err := a.Check(dir); err != nil {
		return Apply{}, err
	}
	return a, nil
}

func (s system) maybeApply(rwDir, running, cmdline string) error {
	a, err := Decide(rwDir, running)
	if err != nil {
		return err
	}
	dir := filepath.Join(rwDir, Dir)
	kf, err := openKernel(filepath.Join(dir, a.Kernel))
	if err != nil {
		return err
	}
	defer kf.Close()
	inf, err := os.Open(filepath.Join(dir, a.Initrd))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadApply, err)
	}
	defer inf.Close()
	marker := filepath.Join(dir, attempted)
	if err := os.WriteFile(marker, []byte(a.Version+"\n"), 0o644); err != nil {
		return fmt.Errorf("kexec marker: %w", err)
	}
	if err := s.load(int(kf.Fd()), int(inf.Fd()), a.CommandLine(cmdline)); err != nil {
		os.Remove(marker)
		return fmt.Errorf("kexec_file_load %s: %w (the kernel must be a bzImage the running kernel accepts)", a.Kernel, err)
	}
	_ = s.remount(rwDir) // best effort: the scratch disk is journaled
	if err := s.reboot(); err != nil {
		return fmt.Errorf("reboot into kexec kernel: %w", err)
	}
	return nil
}

// xzMagic starts an xz stream.
var xzMagic = []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}

// openKernel opens the kernel; an xz-compressed one (the original's
// vmlinuz-<ver>.xz) is inflated into a memory file, because
// kexec_file_load takes a bzImage.
func openKernel(path string) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadApply, err)
	}
	head := make([]byte, len(xzMagic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, xzMagic) {
		if _, serr := f.Seek(0, io.SeekStart); serr != nil {
			f.Close()
			return nil, serr
		}
		return f, nil
	}
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	zr, err := xz.NewReader(bufio.NewReader(f), 0)
	if err != nil {
		return nil, fmt.Errorf("%w: kernel %s: %w", ErrBadApply, path, err)
	}
	zr.Multistream(false)
	fd, err := unix.MemfdCreate("ucvm-kexec-kernel", 0)
	if err != nil {
		return nil, fmt.Errorf("memfd: %w", err)
	}
	mf := os.NewFile(uintptr(fd), "kernel")
	if _, err := io.Copy(mf, io.LimitReader(zr, 1<<30)); err != nil && !errors.Is(err, io.EOF) {
		mf.Close()
		return nil, fmt.Errorf("%w: inflate kernel %s: %w", ErrBadApply, path, err)
	}
	if _, err := mf.Seek(0, io.SeekStart); err != nil {
		mf.Close()
		return nil, err
	}
	return mf, nil
}
