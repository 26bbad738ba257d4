// Command kexecinit is the /init of the kexec QEMU test: it prints the
// running version (/version) and the kernel command line, calls
// kexec.MaybeApply on /rw (a staged update pack inside the initramfs) and
// powers off when MaybeApply returns.
package main

import (
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/kexec"
)

func main() {
	_ = unix.Mount("proc", "/proc", "proc", 0, "")
	_ = unix.Mount("sysfs", "/sys", "sysfs", 0, "")
	ver, _ := os.ReadFile("/version")
	cmdline, _ := os.ReadFile("/proc/cmdline")
	v := strings.TrimSpace(string(ver))
	token := ""
	for _, f := range strings.Fields(string(cmdline)) {
		if strings.HasPrefix(f, "kexectest.token=") {
			token = strings.TrimPrefix(f, "kexectest.token=")
		}
	}
	fmt.Printf("KEXEC-TEST running=%s token=%s\n", v, token)
	err := kexec.MaybeApply("/rw", v, string(cmdline))
	fmt.Printf("KEXEC-TEST result running=%s: %v\n", v, err)
	unix.Sync()
	_ = unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
