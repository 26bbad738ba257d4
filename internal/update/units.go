package update

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ucvm/ucvm/internal/userdata"
)

// Unit names of the daily update check.
const (
	ServiceUnit = "ucvm-update-notify.service"
	TimerUnit   = "ucvm-update-notify.timer"
)

// serviceText runs `ucvm update --motd` once; @BIN@ is the ucvm binary.
const serviceText = `[Unit]
Description=Check for ucvm OS and bootloader updates and note them in /etc/motd
Documentation=https://github.com/ucvm/ucvm/blob/main/docs/updates.md
After=network-online.target
Wants=network-online.target
ConditionPathIsDirectory=/mnt/.rw/aux

[Service]
Type=oneshot
ExecStart=@BIN@ update --motd
TimeoutStartSec=5min
Nice=10
`

// timerText starts the check 10 minutes after boot and then daily.
const timerText = `[Unit]
Description=Daily ucvm update check (notice in /etc/motd)

[Timer]
OnBootSec=10min
OnUnitActiveSec=1d
RandomizedDelaySec=1h
Persistent=true

[Install]
WantedBy=timers.target
`

// Units returns the systemd unit files (name -> text) of the daily update
// check for a ucvm binary at bin (an absolute path in the OS).
func Units(bin string) map[string]string {
	return map[string]string{
		ServiceUnit: strings.ReplaceAll(serviceText, "@BIN@", bin),
		TimerUnit:   timerText,
	}
}

// InstallUnits writes the units into root/etc/systemd/system and enables
// the timer (the symlink `systemctl enable` would make), so an OS image or
// the bootloader can install them without running systemctl.
func InstallUnits(root, bin string) ([]string, error) {
	if !filepath.IsAbs(bin) {
		return nil, fmt.Errorf("ucvm binary %q: give an absolute path inside the OS", bin)
	}
	dir := filepath.Join(root, "etc/systemd/system")
	wants := filepath.Join(dir, "timers.target.wants")
	if err := os.MkdirAll(wants, 0o755); err != nil {
		return nil, err
	}
	var written []string
	for name, text := range Units(bin) {
		p := filepath.Join(dir, name)
		if err := userdata.WriteFileAtomic(p, []byte(text), 0o644); err != nil {
			return nil, err
		}
		written = append(written, p)
	}
	link := filepath.Join(wants, TimerUnit)
	os.Remove(link)
	if err := os.Symlink("../"+TimerUnit, link); err != nil {
		return nil, err
	}
	return append(written, link), nil
}
