package boot

import (
	"os"
	"strings"
)

// Main is the entry point of cmd/ucvm-init. It returns the process exit code
// (which, for PID 1, is never reached on a normal boot).
func Main(args []string) int {
	con := NewConsole(os.Stdout)
	if err := EarlyMounts(); err != nil {
		con.Warn("early mounts: %v", err)
	}
	cmdline := ReadCmdline("/proc/cmdline")
	con.Banner(ReadVersion("/version"))
	if cmdline.Get("ucvm.poweroff") == "banner" {
		PowerOff()
		return 0
	}
	con.Error("boot sequence not implemented yet")
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
