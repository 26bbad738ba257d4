package boot

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// ShutdownDir is systemd's hand-back directory: at the end of shutdown,
// systemd pivots into it and runs ./shutdown <verb>.
const ShutdownDir = "/run/initramfs"

// ShutdownKeep is the initramfs directory that holds the hand-back
// program; the clean-up at the hand-over leaves it.
const ShutdownKeep = "/.ucvm-shutdown"

// PrepareShutdown installs this program as dir/shutdown
// (/run/initramfs/shutdown) and records the client daemon's pid. dir
// becomes a bind mount of ShutdownKeep, which holds a hard link of this
// program: nothing is copied (a copy of the 13 MB binary took 0.4-0.8 s
// of every boot under emulation). systemd leaves /run/initramfs mounted
// and pivots into it. Where the bind is not possible, the program is
// copied.
func PrepareShutdown(dir string, clientPID int, clientSocket string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := bindShutdown(dir); err != nil {
		if err := copyFile("/proc/self/exe", filepath.Join(dir, "shutdown"), 0o755); err != nil {
			return fmt.Errorf("shutdown hand-back: %w", err)
		}
	}
	if err := writeAtomic(filepath.Join(dir, bootLayerSocket), []byte(clientSocket+"\n"), 0o644); err != nil {
		return err
	}
	return writeAtomic(filepath.Join(dir, "ucvm-client.pid"), []byte(strconv.Itoa(clientPID)+"\n"), 0o644)
}

func bindShutdown(dir string) error {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return err
	}
	// systemd remounts /run/initramfs read-only before it pivots into it,
	// so the mount points it needs there must exist beforehand.
	for _, d := range []string{"", "proc", "sys", "dev", "run", "oldroot"} {
		if err := os.MkdirAll(filepath.Join(ShutdownKeep, d), 0o755); err != nil {
			return err
		}
	}
	dst := filepath.Join(ShutdownKeep, "shutdown")
	_ = os.Remove(dst)
	if err := os.Link(exe, dst); err != nil {
		return err
	}
	if err := unix.Mount(ShutdownKeep, dir, "", unix.MS_BIND, ""); err != nil {
		_ = os.Remove(dst)
		return err
	}
	return nil
}

// ShutdownMain is run as /run/initramfs/shutdown <verb> (systemd's
// hand-back, after pivoting into /run/initramfs with the OS at /oldroot) or
// directly from the OS. It unmounts everything of the OS except the scratch
// disk and the repository, remounts the union root read-only, stops the
// repository client (closing its cache), remounts the scratch disk
// read-only and reboots, powers off or halts.
func ShutdownMain(args []string) int {
	verb := "reboot"
	if len(args) > 1 {
		verb = args[1]
	}
	old := "/"
	if st, err := os.Stat("/oldroot/mnt/.rw"); err == nil && st.IsDir() {
		old = "/oldroot"
	}
	say := func(f string, a ...any) { fmt.Fprintf(os.Stderr, "[INF] "+f+"\n", a...) }
	say("shutting down (%s, OS at %s)", verb, old)
	if _, err := os.Stat("/proc/self/mountinfo"); err != nil {
		_ = os.MkdirAll("/proc", 0o755)
		_ = unix.Mount("proc", "/proc", "proc", 0, "")
	}
	rw, ro := filepath.Join(old, mountRW), filepath.Join(old, mountRO)
	for _, m := range mountsToUnmount(readMountPoints(), old, rw, ro) {
		if unix.Unmount(m, 0) != nil {
			_ = unix.Unmount(m, unix.MNT_DETACH)
		}
	}
	unix.Sync()
	if err := unix.Mount("", old, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		say("remount %s read-only: %v", old, err)
	}
	// Hold the scratch mount by descriptors before the client stops: rw
	// runs through the union root, whose lower layer is the client's
	// mount (ENOTCONN afterwards), and systemd has unmounted the OS's
	// /mnt/.rw bind by now; the client's own root (the old initramfs)
	// still has the scratch disk at /root.rw.
	pid := clientPID(filepath.Join(filepath.Dir(os.Args[0]), "ucvm-client.pid"), ShutdownDir+"/ucvm-client.pid")
	fds := openPaths(rw, fmt.Sprintf("/proc/%d/root%s", pid, RootRW))
	writeBootLayer(pid, firstFile(filepath.Join(filepath.Dir(os.Args[0]), bootLayerSocket), ShutdownDir+"/"+bootLayerSocket), say)
	stopClient(pid)
	unix.Sync()
	err := remountReadOnly(fds)
	for i := 0; i < 20 && errors.Is(err, unix.EBUSY); i++ { // files of the client still closing
		time.Sleep(100 * time.Millisecond)
		err = remountReadOnly(fds)
	}
	if err != nil {
		say("remount the scratch disk read-only: %v", err)
	} else {
		say("scratch disk read-only")
	}
	unix.Sync()
	cmd := map[string]int{"poweroff": unix.LINUX_REBOOT_CMD_POWER_OFF, "halt": unix.LINUX_REBOOT_CMD_HALT}[verb]
	if cmd == 0 {
		cmd = unix.LINUX_REBOOT_CMD_RESTART
	}
	_ = unix.Reboot(cmd)
	return 1
}

// clientPID reads the client daemon's pid from the first readable file.
func clientPID(paths ...string) int {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
			return pid
		}
	}
	return 0
}

// stopClient sends SIGTERM to the client daemon (it writes the objects its
// cache still holds in memory, closes the cache and exits without waiting
// for the unmount) and waits up to 15 s.
func stopClient(pid int) {
	if pid <= 1 {
		return
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 300 && alive(pid); i++ {
		time.Sleep(50 * time.Millisecond)
	}
}

// openPaths opens O_PATH descriptors of the directories that exist.
func openPaths(paths ...string) []int {
	var fds []int
	for _, p := range paths {
		if fd, err := unix.Open(p, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0); err == nil {
			fds = append(fds, fd)
		}
	}
	return fds
}

// remountReadOnly remounts the file system of the first descriptor that is
// a mount root read-only (the others are then read-only too: one
// superblock).
func remountReadOnly(fds []int) error {
	err := errors.New("no mount point of it left")
	for _, fd := range fds {
		if err = unix.Mount("", fmt.Sprintf("/proc/self/fd/%d", fd), "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err == nil {
			return nil
		}
	}
	return err
}

// alive reports whether pid runs (a zombie, which nobody reaps after the
// hand-over, has exited).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	if i := strings.LastIndexByte(string(b), ')'); i > 0 && i+2 < len(b) && b[i+2] == 'Z' {
		// A zombie leader is gone only once its other threads are: until
		// then they hold the open files (the cache's, on the scratch disk).
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		return err == nil && len(tasks) > 1
	}
	return true
}

func readMountPoints() []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) > 4 {
			out = append(out, unescapeMount(fs[4]))
		}
	}
	return out
}

func unescapeMount(s string) string {
	return strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`).Replace(s)
}

// mountsToUnmount returns the mounts below old, deepest first, except
// old itself, the scratch disk and repository mounts (and what is below
// them) and, when the OS is still the root, the API file systems and /run.
func mountsToUnmount(mounts []string, old, rw, ro string) []string {
	keep := []string{rw, ro}
	if old == "/" {
		keep = append(keep, "/proc", "/sys", "/dev", "/run")
	}
	var out []string
	for _, m := range mounts {
		if m == old || !under(m, old) {
			continue
		}
		skip := false
		for _, k := range keep {
			if under(m, k) {
				skip = true
			}
		}
		if !skip {
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

func under(p, dir string) bool {
	return p == dir || dir == "/" || strings.HasPrefix(p, strings.TrimRight(dir, "/")+"/")
}
