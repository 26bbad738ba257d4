package boot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Paths of the initrd stage (as in the original).
const (
	NewRoot  = "/root"
	RootRW   = "/root.rw"
	RootRO   = "/root.ro"
	OSInit   = "/sbin/init"
	workDir  = "aux/overlay-work"
	mountRW  = "mnt/.rw"
	mountRO  = "mnt/.ro"
	fuseType = 0x65735546
)

// MountOverlay mounts the union root: lower = the OS tree in the
// repository, upper = persistent/ on the scratch disk (the r/w branch of
// the original, kept at the same place for compatibility), work dir in
// aux/ (overlayfs needs it on the same file system, outside upper).
func MountOverlay(lower, rw, target string) error {
	upper := filepath.Join(rw, DirPersistent)
	work := filepath.Join(rw, workDir)
	for _, d := range []string{upper, work, target} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work)
	if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
		return fmt.Errorf("unable to mount the union file system (%s): %w", opts, err)
	}
	return os.Chmod(target, 0o755)
}

// MoveMount moves the mount at from to to (creating to).
func MoveMount(from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(from, to, "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move mount %s to %s: %w", from, to, err)
	}
	return nil
}

// BindMount makes the tree at from also visible at to (creating to).
func BindMount(from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(from, to, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind mount %s on %s: %w", from, to, err)
	}
	return nil
}

// SwitchRoot moves /dev, /proc, /sys and /run into newRoot, deletes the
// initramfs contents (freeing its memory), makes newRoot the root and
// executes init. It only returns on failure. pivot_root is not allowed on
// the initramfs, hence MS_MOVE + chroot.
func SwitchRoot(newRoot, init string, args []string) error {
	if _, err := resolveIn(newRoot, init); err != nil {
		return fmt.Errorf("no %s in the new root: %w", init, err)
	}
	for _, m := range []string{"/dev", "/proc", "/sys", "/run"} {
		if err := MoveMount(m, filepath.Join(newRoot, m)); err != nil && m != "/run" {
			return err
		}
	}
	if err := os.Chdir(newRoot); err != nil {
		return err
	}
	cleanInitramfs("/", rootDev())
	if err := unix.Mount(".", "/", "", unix.MS_MOVE, ""); err != nil {
		return fmt.Errorf("move %s to /: %w", newRoot, err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot: %w", err)
	}
	if err := os.Chdir("/"); err != nil {
		return err
	}
	SetHugePages(true) // the OS gets the kernel's policy back
	return unix.Exec(init, append([]string{init}, args...), os.Environ())
}

func rootDev() uint64 {
	var st unix.Stat_t
	if unix.Stat("/", &st) != nil {
		return 0
	}
	return st.Dev
}

// cleanInitramfs removes the initramfs files, staying on its device (mount
// points such as /root are skipped) and keeping ShutdownKeep and
// ModulesLayer (a lower layer of the root).
func cleanInitramfs(dir string, dev uint64) {
	ents, err := os.ReadDir(dir)
	if err != nil || dev == 0 {
		return
	}
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		var st unix.Stat_t
		if unix.Lstat(p, &st) != nil || st.Dev != dev || p == ShutdownKeep || p == ModulesLayer {
			continue
		}
		if e.IsDir() {
			cleanInitramfs(p, dev)
		}
		os.Remove(p)
	}
}

// IsFUSE reports whether path is on a FUSE mount.
func IsFUSE(path string) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && st.Type == fuseType
}

// FSSizeMB returns the size of the file system holding path in MiB.
func FSSizeMB(path string) int64 {
	var st unix.Statfs_t
	if unix.Statfs(path, &st) != nil {
		return 0
	}
	return int64(st.Blocks) * st.Bsize >> 20
}

// DirUsage sums the allocated bytes below dir (bounded walk).
func DirUsage(dir string) int64 {
	var total int64
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || n > 1_000_000 {
			return nil
		}
		n++
		var st unix.Stat_t
		if unix.Lstat(p, &st) == nil {
			total += st.Blocks * 512
		}
		return nil
	})
	return total
}

// ErrNoInit is returned when the OS has no init program.
var ErrNoInit = errors.New("unable to invoke init")
