package qemu

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Firmware selects what the virtual machine boots with.
type Firmware string

const (
	// FirmwareDefault is QEMU's SeaBIOS; it boots -kernel, -cdrom and disks.
	FirmwareDefault Firmware = ""
	// FirmwareQboot is /usr/share/qemu/qboot.rom: the fastest start for
	// -kernel boots, but it cannot boot -cdrom or disks.
	FirmwareQboot Firmware = "qboot"
	// FirmwareUEFI is Debian's OVMF (package ovmf).
	FirmwareUEFI Firmware = "uefi"
)

// Drive is a disk attached to the VM.
type Drive struct {
	File      string // image file
	Interface string // "virtio" (default), "ide", "scsi", "none"
	Format    string // "raw" (default), "qcow2", "vmdk", "vpc", "vdi"
	Media     string // "" (disk) or "cdrom"
	ReadOnly  bool
	// Snapshot writes changes to a temporary overlay, keeping File intact.
	Snapshot bool
}

// GuestFwd forwards guest TCP connections to GuestAddr ("10.0.2.100:80")
// to the host address Host ("127.0.0.1:8080"), or to the stdio of the shell
// command Cmd. QEMU's user network only forwards addresses inside its
// virtual network (Net.Network, default 10.0.2.0/24): for the cloud metadata
// address 169.254.169.254 use Network "169.254.0.0/16".
//
// Host is relayed per connection through "busybox nc" (QEMU's own tcp:
// guestfwd connects once at start and never propagates the server's close).
type GuestFwd struct {
	GuestAddr string
	Host      string
	Cmd       string
}

func (g GuestFwd) option() string {
	cmd := g.Cmd
	if cmd == "" {
		host, port, _ := strings.Cut(g.Host, ":")
		if i := strings.LastIndex(g.Host, ":"); i >= 0 {
			host, port = g.Host[:i], g.Host[i+1:]
		}
		cmd = "busybox nc " + host + " " + port
	}
	return "guestfwd=tcp:" + g.GuestAddr + "-cmd:" + strings.ReplaceAll(cmd, ",", ",,")
}

// Net is QEMU user-mode networking with one virtio-net NIC (eth0 in the
// guest). The guest reaches the host's loopback at 10.0.2.2 by default.
type Net struct {
	Network  string   // e.g. "10.0.2.0/24" (QEMU default) or "169.254.0.0/16"
	Host     string   // the host's address inside Network, e.g. "169.254.169.2"
	HostFwd  []string // "tcp:127.0.0.1:2222-:22" (QEMU hostfwd syntax)
	GuestFwd []GuestFwd
	Model    string   // NIC device, default "virtio-net-pci"
	Extra    []string // raw extra -netdev user options ("restrict=on")
}

// Config describes one VM boot.
type Config struct {
	Name string // label for logs; default "vm"

	// Kernel boot: Kernel is a vmlinux (PVH) or bzImage; Initrd optional.
	Kernel string
	Initrd string
	Append string // kernel command line (only with Kernel)

	// Image boot.
	CDROM  string
	Drives []Drive

	Firmware Firmware
	Net      *Net

	MemoryMB int           // default 512
	CPU      string        // default "max"
	SMP      int           // default 1
	Accel    string        // default $UCVM_QEMU_ACCEL or "tcg"
	Timeout  time.Duration // hard limit for the whole run; default 120 s
	LogFile  string        // console log with timestamps (optional)
	Extra    []string      // raw extra qemu arguments
	Binary   string        // default "qemu-system-x86_64"
}

// ErrConfig marks an invalid Config.
var ErrConfig = errors.New("invalid qemu config")

// Fast kernel command line defaults for test boots (lab-notes.md).
const AppendDefaults = "console=ttyS0 panic=-1 cryptomgr.notests"

// OVMF firmware locations in Debian's ovmf package, first existing wins.
var ovmfPaths = []string{"/usr/share/ovmf/OVMF.fd", "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/qemu/OVMF.fd"}

// QbootPath is the qboot firmware of Debian's qemu-system-x86.
const QbootPath = "/usr/share/qemu/qboot.rom"

func (c *Config) defaults() {
	if c.Name == "" {
		c.Name = "vm"
	}
	if c.MemoryMB == 0 {
		c.MemoryMB = 512
	}
	if c.CPU == "" {
		c.CPU = "max"
	}
	if c.SMP == 0 {
		c.SMP = 1
	}
	if c.Accel == "" {
		c.Accel = os.Getenv("UCVM_QEMU_ACCEL")
	}
	if c.Accel == "" {
		c.Accel = "tcg"
	}
	if c.Timeout == 0 {
		c.Timeout = 120 * time.Second
	}
	if c.Binary == "" {
		c.Binary = "qemu-system-x86_64"
	}
}

func (c *Config) validate() error {
	if c.Kernel == "" && c.CDROM == "" && len(c.Drives) == 0 {
		return fmt.Errorf("%w: nothing to boot: set Kernel, CDROM or Drives", ErrConfig)
	}
	if c.Kernel == "" && (c.Initrd != "" || c.Append != "") {
		return fmt.Errorf("%w: Initrd/Append need Kernel", ErrConfig)
	}
	if c.Firmware == FirmwareQboot && c.Kernel == "" {
		return fmt.Errorf("%w: qboot.rom boots only -kernel; use FirmwareDefault or FirmwareUEFI for images", ErrConfig)
	}
	for _, f := range []string{c.Kernel, c.Initrd, c.CDROM} {
		if f == "" {
			continue
		}
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	for _, d := range c.Drives {
		if _, err := os.Stat(d.File); err != nil {
			return fmt.Errorf("%w: drive: %w", ErrConfig, err)
		}
	}
	return nil
}

// Args returns the qemu command line (without the binary) for c.
func (c Config) Args() ([]string, error) {
	c.defaults()
	if err := c.validate(); err != nil {
		return nil, err
	}
	a := []string{
		"-name", c.Name, "-machine", "pc,accel=" + c.Accel,
		"-cpu", c.CPU, "-smp", fmt.Sprint(c.SMP), "-m", fmt.Sprint(c.MemoryMB),
		"-display", "none", "-monitor", "none", "-serial", "stdio",
		"-no-reboot", "-no-user-config",
	}
	fw, err := c.firmwareArgs()
	if err != nil {
		return nil, err
	}
	a = append(a, fw...)
	if c.Kernel != "" {
		a = append(a, "-kernel", c.Kernel)
		if c.Initrd != "" {
			a = append(a, "-initrd", c.Initrd)
		}
		a = append(a, "-append", c.Append)
	}
	if c.CDROM != "" {
		abs, _ := filepath.Abs(c.CDROM)
		a = append(a, "-drive", "file="+strings.ReplaceAll(abs, ",", ",,")+",media=cdrom,readonly=on,if=ide,index=2")
		// Boot the CD first: once the bootloader partitioned the scratch
		// disk it carries an MBR signature, and SeaBIOS's default order
		// (disk before CD) would try to boot it.
		a = append(a, "-boot", "order=d")
	}
	for i, d := range c.Drives {
		a = append(a, "-drive", d.arg(i))
	}
	a = append(a, c.netArgs()...)
	return append(a, c.Extra...), nil
}

func (c *Config) firmwareArgs() ([]string, error) {
	switch c.Firmware {
	case FirmwareDefault:
		return nil, nil
	case FirmwareQboot:
		return []string{"-bios", QbootPath}, nil
	case FirmwareUEFI:
		p := OVMFPath()
		if p == "" {
			return nil, fmt.Errorf("%w: OVMF firmware not found (apt-get install ovmf)", ErrConfig)
		}
		return []string{"-bios", p}, nil
	}
	return nil, fmt.Errorf("%w: unknown firmware %q", ErrConfig, c.Firmware)
}

// OVMFPath returns the OVMF firmware file, or "" when ovmf is not installed.
func OVMFPath() string {
	for _, p := range ovmfPaths {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func (d Drive) arg(i int) string {
	iface, format := d.Interface, d.Format
	if iface == "" {
		iface = "virtio"
	}
	if format == "" {
		format = "raw"
	}
	abs, _ := filepath.Abs(d.File)
	parts := []string{"file=" + strings.ReplaceAll(abs, ",", ",,"), "if=" + iface, "format=" + format, fmt.Sprintf("id=drive%d", i)}
	if d.Media != "" {
		parts = append(parts, "media="+d.Media)
	}
	if d.ReadOnly {
		parts = append(parts, "readonly=on")
	}
	if d.Snapshot {
		parts = append(parts, "snapshot=on")
	}
	return strings.Join(parts, ",")
}

func (c *Config) netArgs() []string {
	if c.Net == nil {
		return []string{"-net", "none"}
	}
	n := c.Net
	opts := []string{"user", "id=n0"}
	if n.Network != "" {
		opts = append(opts, "net="+n.Network)
	}
	if n.Host != "" {
		opts = append(opts, "host="+n.Host)
	}
	for _, h := range n.HostFwd {
		opts = append(opts, "hostfwd="+h)
	}
	for _, g := range n.GuestFwd {
		opts = append(opts, g.option())
	}
	opts = append(opts, n.Extra...)
	model := n.Model
	if model == "" {
		model = "virtio-net-pci"
	}
	return []string{"-netdev", strings.Join(opts, ","), "-device", model + ",netdev=n0,romfile="}
}
