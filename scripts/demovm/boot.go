package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/qemu"
)

type bootResult struct {
	cold                      bool
	packStale                 bool // the bootloader refused the OS's boot pack as not matching the revision
	banner, osInit, up, total time.Duration
	demoLines                 []string
}

var (
	reBanner = regexp.MustCompile(`ucvm bootloader`)
	reInit   = regexp.MustCompile(`systemd\[1\]|Welcome to .*Debian`)
	reUp     = regexp.MustCompile(`UCVM-OS-UP|login:`)
)

func (d *demo) boot() error {
	// A sparse raw file, as clouds attach raw block devices (and as the
	// boot benchmark's classic image).
	scratch := d.path("scratch.img")
	if d.o.fresh {
		os.Remove(scratch)
	}
	if _, err := os.Stat(scratch); err != nil {
		d.res.cold = true
		if err := exec.Command("qemu-img", "create", "-q", "-f", "raw", scratch, "20G").Run(); err != nil {
			return fmt.Errorf("qemu-img: %w", err)
		}
	}
	ud, err := d.userDataISO()
	if err != nil {
		return err
	}
	mon := d.path("monitor.sock")
	os.Remove(mon)
	cfg := qemu.Config{Name: "demo", CDROM: d.iso, MemoryMB: 1536, Timeout: d.o.timeout, LogFile: d.path("console.log"),
		Drives: []qemu.Drive{{File: scratch, Format: "raw"}, {File: ud, ReadOnly: true}},
		Net:    &qemu.Net{}, Extra: []string{"-monitor", "unix:" + mon + ",server,nowait"}}
	what := "cold cache: empty scratch disk"
	if !d.res.cold {
		what = "warm cache: the scratch disk of the previous run"
	}
	fmt.Printf("   %s\n   console (also in %s):\n", what, cfg.LogFile)
	vm, err := qemu.Start(context.Background(), cfg)
	if err != nil {
		return err
	}
	defer vm.Kill()
	stop, done := make(chan struct{}), make(chan struct{})
	go echoConsole(vm, stop, done)
	defer func() { close(stop); <-done }() // the last lines (shutdown) too
	for _, w := range []struct {
		re  *regexp.Regexp
		dst *time.Duration
	}{{reBanner, &d.res.banner}, {reInit, &d.res.osInit}, {reUp, &d.res.up}} {
		l, err := vm.WaitFor(w.re, d.o.timeout)
		if err != nil {
			return fmt.Errorf("waiting for %q: %w", w.re, err)
		}
		*w.dst = l.At
	}
	time.Sleep(2 * time.Second) // let the last console lines arrive
	for _, l := range vm.Lines() {
		if i := strings.Index(l.Text, "UCVM-DEMO "); i >= 0 {
			d.res.demoLines = append(d.res.demoLines, strings.TrimSpace(l.Text[i:]))
		}
		if strings.Contains(l.Text, fusefs.ErrPackStale.Error()) {
			d.res.packStale = true
		}
	}
	say("the OS is up: shutting it down (Ctrl-Alt-Del; QEMU runs with -no-reboot)")
	if err := powerdown(mon); err != nil {
		fmt.Println("   monitor:", err)
	}
	if err := vm.WaitExit(90 * time.Second); err != nil {
		fmt.Println("   the VM did not power off in time; stopped it:", err)
	}
	d.res.total = vm.Elapsed()
	return nil
}

// echoConsole prints the console as it arrives; once stop is closed it
// prints what is left and closes done.
func echoConsole(vm *qemu.VM, stop, done chan struct{}) {
	defer close(done)
	seen := 0
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		lines := vm.Lines()
		for ; seen < len(lines); seen++ {
			fmt.Printf("   | %s\n", lines[seen])
		}
		select {
		case <-stop:
			for lines = vm.Lines(); seen < len(lines); seen++ {
				fmt.Printf("   | %s\n", lines[seen])
			}
			return
		case <-t.C:
		}
	}
}

func powerdown(sock string) error {
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	// Minimal Debian has no logind to act on the ACPI power button; systemd
	// itself shuts down cleanly on Ctrl-Alt-Del, and -no-reboot ends QEMU.
	_, err = c.Write([]byte("sendkey ctrl-alt-delete\n"))
	time.Sleep(500 * time.Millisecond)
	return err
}

// userDataISO writes a ConfigDrive (label config-2) with the user data.
func (d *demo) userDataISO() (string, error) {
	dir := d.path("configdrive")
	os.RemoveAll(dir)
	p := filepath.Join(dir, "openstack", "latest")
	if err := os.MkdirAll(p, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(p, "user_data"), []byte(userData), 0o644); err != nil {
		return "", err
	}
	iso := d.path("configdrive.iso")
	out, err := exec.Command("xorriso", "-as", "mkisofs", "-quiet", "-V", "config-2", "-J", "-R", "-o", iso, dir).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("xorriso: %v: %s", err, out)
	}
	return iso, nil
}
