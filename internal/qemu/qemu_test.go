package qemu

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/image/kernel"
	"github.com/ucvm/ucvm/internal/testutil"
)

func TestArgs(t *testing.T) {
	dir := t.TempDir()
	k := filepath.Join(dir, "vmlinux")
	d := filepath.Join(dir, "a,b.img")
	os.WriteFile(k, nil, 0o644)
	os.WriteFile(d, nil, 0o644)
	args, err := Config{Kernel: k, Append: "x", Firmware: FirmwareQboot,
		Drives: []Drive{{File: d, Interface: "ide", Snapshot: true}},
		Net:    &Net{HostFwd: []string{"tcp:127.0.0.1:2222-:22"}, GuestFwd: []GuestFwd{{GuestAddr: "10.0.2.100:80", Host: "127.0.0.1:8080"}}},
	}.Args()
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Join(args, " ")
	for _, want := range []string{"-no-reboot", "-cpu max", "-bios " + QbootPath, "a,,b.img,if=ide,format=raw", "snapshot=on",
		"hostfwd=tcp:127.0.0.1:2222-:22", "guestfwd=tcp:10.0.2.100:80-cmd:busybox nc 127.0.0.1 8080", "virtio-net-pci,netdev=n0"} {
		if !strings.Contains(s, want) {
			t.Errorf("args lack %q: %s", want, s)
		}
	}
	for _, bad := range []Config{{}, {CDROM: d, Firmware: FirmwareQboot}, {Initrd: k}, {Kernel: "/nonexistent"}, {Kernel: k, Firmware: "coreboot"}} {
		if _, err := bad.Args(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: want ErrConfig, got %v", bad, err)
		}
	}
}

func requireQemu(t *testing.T) {
	testutil.RequireCommand(t, "qemu-system-x86_64", "apt-get")
}

// A kernel without initrd panics (no root fs); panic=-1 and -no-reboot make
// qemu exit. This exercises console capture, WaitFor and exit handling.
func TestBootKernelPanicsAndExits(t *testing.T) {
	requireQemu(t)
	k, err := kernel.Fetch(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "console.log")
	vm := StartT(t, Config{Kernel: k.Vmlinux, Firmware: FirmwareQboot, Append: AppendDefaults, LogFile: log, Timeout: 90 * time.Second})
	l := vm.MustWaitFor(t, `Linux version \S+`, 60*time.Second)
	if !strings.Contains(l.Text, k.Version) {
		t.Fatalf("banner %q lacks %s", l.Text, k.Version)
	}
	vm.MustWaitFor(t, `Kernel panic`, 60*time.Second)
	if err := vm.WaitExit(30 * time.Second); err != nil {
		t.Fatalf("qemu did not exit cleanly after panic: %v", err)
	}
	if _, err := vm.WaitFor(regexp.MustCompile(`never printed`), time.Second); !errors.Is(err, ErrExited) {
		t.Fatalf("wait after exit: %v", err)
	}
	b, _ := os.ReadFile(log)
	if !regexp.MustCompile(`(?m)^\[ *\d+\.\d{3}s\] .*Linux version`).Match(b) {
		t.Fatalf("log file lacks timestamped lines:\n%.500s", b)
	}
}

func TestHardTimeoutKills(t *testing.T) {
	requireQemu(t)
	k, err := kernel.Fetch(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	vm := StartT(t, Config{Kernel: k.Vmlinux, Firmware: FirmwareQboot, Append: "console=ttyS0 panic=0", Timeout: 2 * time.Second})
	_, err = vm.WaitFor(regexp.MustCompile(`never printed`), time.Minute)
	if !errors.Is(err, ErrExited) || time.Since(start) > 20*time.Second {
		t.Fatalf("hard timeout: err=%v after %v", err, time.Since(start))
	}
}

// Console capture: complete lines only for WaitFor, partial for prompts.
func TestPartialLines(t *testing.T) {
	vm := &VM{changed: make(chan struct{}), done: make(chan struct{}), start: time.Now(), cancel: func() {}}
	vm.feed([]byte("[    0.000000] Linux version 6"))
	if _, err := vm.WaitFor(regexp.MustCompile(`Linux version \S+`), 50*time.Millisecond); !errors.Is(err, ErrTimeout) {
		t.Fatalf("partial line matched: %v", err)
	}
	if l, err := vm.WaitPrompt("Linux version", 50*time.Millisecond); err != nil || !strings.HasSuffix(l.Text, "version 6") {
		t.Fatalf("prompt: %v %v", l, err)
	}
	vm.feed([]byte(".1.0-56-amd64 (gcc)\r\nlogin: "))
	l, err := vm.WaitFor(regexp.MustCompile(`Linux version (\S+)`), time.Second)
	if err != nil || !strings.Contains(l.Text, "6.1.0-56-amd64") || strings.HasSuffix(l.Text, "\r") {
		t.Fatalf("line %q %v", l.Text, err)
	}
	if _, err := vm.WaitPrompt("login:", time.Second); err != nil {
		t.Fatal(err)
	}
}
