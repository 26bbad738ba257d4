package formats

import (
	"fmt"
	"strings"

	"github.com/ucvm/ucvm/internal/image/spec"
)

// Console is the console setting of a format (spec §2.4).
type Console string

const (
	ConsoleBoth   Console = "console=tty0 console=ttyS0" // iso, hdd, desktop hypervisors
	ConsoleSerial Console = "console=ttyS0"              // EC2 HVM, GCE
	ConsoleAzure  Console = "console=ttyS0 earlyprintk=ttyS0 rootdelay=300 numa=off"
	ConsoleXen    Console = "console=hvc0" // PV-GRUB
)

// Paths of the payload on every boot medium.
const (
	KernelPath = "/ucvm/vmlinuz"
	InitrdPath = "/ucvm/initrd.img"
	// Sentinel marks the ucvm boot partition (.ucernvm_boot_loader originally).
	Sentinel = ".ucvm_boot_loader"
)

// Entries are the kernel command lines of the two boot menu entries.
type Entries struct {
	Title         string
	Normal, Debug string
}

// BranchParams are the original µCernVM kernel parameters of a branch.
func BranchParams(b spec.Branch) string {
	cdn := "NONE"
	if len(b.CDN) > 0 {
		cdn = strings.Join(b.CDN, ",")
	}
	return fmt.Sprintf("cernvm_path=%s cvmfs_repos=%s cvmfs_server=%s cvmfs_cdn=%s cvmfs_repository_tag=%s",
		b.OSPath, b.FQRN, strings.Join(b.Servers, ","), cdn, b.Tag)
}

// MakeEntries builds the normal and Debug command lines.
func MakeEntries(version string, b spec.Branch, c Console, extra string) Entries {
	base := "noresume selinux=0 consoleblank=0 log_buf_len=4M " + BranchParams(b)
	quiet := " quiet systemd.show_status=1 loglevel=3"
	if c == ConsoleAzure {
		quiet = ""
	}
	join := func(parts ...string) string { return strings.Join(strings.Fields(strings.Join(parts, " ")), " ") }
	debugConsole := ConsoleBoth
	if c == ConsoleXen {
		debugConsole = c
	}
	return Entries{
		Title:  "ucvm " + version,
		Normal: join(base, quiet, string(c), extra),
		Debug:  join(base, "cvmdebug", string(debugConsole), extra),
	}
}

// SyslinuxCfg is isolinux.cfg / syslinux.cfg: the built-in prompt of
// syslinux (no menu.c32 and its libraries: 220 KB of the 16 MB ISO budget)
// naming both entries, 2 s timeout, serial console.
func SyslinuxCfg(e Entries) string {
	entry := func(label, cmd string) string {
		return fmt.Sprintf("LABEL %s\n  KERNEL %s\n  APPEND initrd=%s %s\n", label, KernelPath, InitrdPath, cmd)
	}
	return "SERIAL 0 115200\nSAY " + e.Title + ": boots in 2 s; type 'debug' for the Debug entry\n" +
		"PROMPT 1\nTIMEOUT 20\nDEFAULT normal\n\n" + entry("normal", e.Normal) + "\n" + entry("debug", e.Debug)
}

// GrubCfg is the UEFI GRUB menu of the ISO.
func GrubCfg(e Entries) string {
	entry := func(title, cmd string) string {
		return fmt.Sprintf("menuentry %q {\n  linux %s %s\n  initrd %s\n}\n", title, KernelPath, cmd, InitrdPath)
	}
	return "serial --unit=0 --speed=115200\nterminal_input serial console\nterminal_output serial console\n" +
		"set timeout=2\nset default=0\n\n" + entry(e.Title, e.Normal) + entry(e.Title+" Debug", e.Debug)
}

// MenuLst is the PV-GRUB (GRUB legacy) menu of the fat format.
func MenuLst(e Entries) string {
	entry := func(title, cmd string) string {
		return fmt.Sprintf("title %s\n  root (hd0)\n  kernel %s %s\n  initrd %s\n", title, KernelPath, cmd, InitrdPath)
	}
	return "default 0\ntimeout 2\nfallback 1\n\n" + entry(e.Title, e.Normal) + "\n" + entry(e.Title+" Debug", e.Debug)
}
