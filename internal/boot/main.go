package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ucvm/ucvm/internal/clientconfig/pac"
)

// Main is the entry point of cmd/ucvm-init. The program has several
// personalities chosen by argv[0]: the bootloader (PID 1), the repository
// client daemon (@ucvm-mount), the background pinner (@ucvm-pin), the
// shutdown hand-back (/run/initramfs/shutdown) and reset_root_password in
// the rescue shell.
func Main(args []string) int {
	if len(args) == 0 {
		return 2
	}
	if !pac.HasEvaluator() { // /init built without the engine (-tags pacjs)
		InstallPACHelper(PACHelperXZ) // CVMFS_HTTP_PROXY=auto, in the client and the bootloader
	}
	switch base := filepath.Base(args[0]); {
	case args[0] == ClientArgv0:
		setProcName(ClientArgv0[1:])
		return ClientMain(args)
	case args[0] == PinArgv0:
		setProcName(PinArgv0[1:])
		return PinMain(args)
	case base == "shutdown":
		return ShutdownMain(args)
	case base == "reset_root_password":
		root := NewRoot
		if len(args) > 1 {
			root = args[1]
		}
		if err := ResetRootPassword(root); err != nil {
			fmt.Fprintln(os.Stderr, "reset_root_password:", err)
			return 1
		}
		fmt.Println("root password set to \"password\"")
		return 0
	}
	if os.Getpid() != 1 {
		fmt.Fprintln(os.Stderr, "ucvm-init is the bootloader /init and must run as PID 1 in the initramfs")
		return 2
	}
	return bootMain()
}

func bootMain() int {
	SetHugePages(false)
	con := NewConsole(os.Stdout)
	t := NewTimings()
	t.Begin("early")
	if err := EarlyMounts(); err != nil {
		con.Warn("early mounts: %v", err)
	}
	cmdline := ReadCmdline("/proc/cmdline")
	version := ReadVersion("/version")
	con.Banner(version)
	if cmdline.Get("ucvm.poweroff") == "banner" {
		PowerOff()
		return 0
	}
	br, err := ReadBranch(BranchFile)
	if err != nil {
		con.Warn("%v", err)
	}
	b := &Boot{Con: con, Cmd: cmdline, Branch: br, Version: version, Tools: FindTools(), Mounter: DaemonMounter{}, T: t}
	b.Run()
	PowerOff()
	return 1
}

// ReadVersion returns the trimmed content of the version file or "unknown".
func ReadVersion(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "unknown"
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "unknown"
	}
	return v
}

// setProcName names the process in ps and top (its comm, at most 15
// bytes): the daemons are started as /proc/self/exe and would show as
// "exe". /proc/self/comm is the main thread's, whichever thread writes it.
func setProcName(name string) {
	_ = os.WriteFile("/proc/self/comm", []byte(name), 0)
}
