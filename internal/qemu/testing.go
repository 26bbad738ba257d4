package qemu

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// StartT starts a VM for a test. The console goes to a log file in the test's
// temporary directory (unless cfg.LogFile is set); at cleanup the VM is killed
// and, when the test failed, the timestamped console is written to t.Log.
func StartT(t testing.TB, cfg Config) *VM {
	t.Helper()
	if cfg.LogFile == "" {
		cfg.LogFile = filepath.Join(t.TempDir(), "console.log")
	}
	if cfg.Name == "" {
		cfg.Name = t.Name()
	}
	vm, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("qemu: %v", err)
	}
	t.Cleanup(func() {
		vm.Kill()
		if t.Failed() || testing.Verbose() {
			t.Logf("console of %s (log %s):\n%s", cfg.Name, cfg.LogFile, vm.Console())
		}
	})
	return vm
}

// MustWaitFor is WaitFor that fails the test.
func (vm *VM) MustWaitFor(t testing.TB, re string, timeout time.Duration) Line {
	t.Helper()
	l, err := vm.WaitFor(regexp.MustCompile(re), timeout)
	if err != nil {
		t.Fatalf("%s: %v", vm.cfg.Name, err)
	}
	t.Logf("%s: matched %q at %.2fs", vm.cfg.Name, re, l.At.Seconds())
	return l
}

// Available reports whether qemu-system-x86_64 can be run here.
func Available() bool {
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if fi, err := os.Stat(filepath.Join(dir, "qemu-system-x86_64")); err == nil && !fi.IsDir() {
			return true
		}
	}
	return false
}
