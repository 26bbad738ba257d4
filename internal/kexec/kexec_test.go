package kexec

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/testutil"
)

// stage writes an update pack's files into rw/kexec.
func stage(t *testing.T, rw string, a Apply, kernel []byte) {
	t.Helper()
	dir := filepath.Join(rw, Dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{ApplyName: []byte(a.String()), a.Kernel: kernel, a.Initrd: []byte("initrd bytes")} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// recorder is a kernel interface that records instead of rebooting.
type recorder struct {
	kernel, initrd, cmdline string
	remounted, rebooted     bool
	loadErr                 error
}

func pread(fd int) string {
	buf := make([]byte, 1<<16)
	n, _ := unix.Pread(fd, buf, 0)
	return string(buf[:max(n, 0)])
}

func (r *recorder) sys() system {
	return system{
		load: func(k, i int, c string) error {
			r.kernel, r.initrd, r.cmdline = pread(k), pread(i), c
			return r.loadErr
		},
		remount: func(string) error { r.remounted = true; return nil },
		reboot:  func() error { r.rebooted = true; return nil },
	}
}

var v2 = Apply{Version: "2026.11-2", Kernel: "vmlinuz-6.1.0", Initrd: "initrd.2026.11-2"}

func TestDecide(t *testing.T) {
	rw := t.TempDir()
	if _, err := Decide(rw, "2026.11-1"); !errors.Is(err, ErrNothingToDo) {
		t.Fatalf("nothing staged: %v", err)
	}
	stage(t, rw, v2, []byte("kernel"))
	if _, err := Decide(rw, "2026.11-2"); !errors.Is(err, ErrNothingToDo) {
		t.Fatalf("same version: %v", err)
	}
	a, err := Decide(rw, "2026.11-1")
	if err != nil || a != v2 {
		t.Fatalf("Decide = %+v, %v", a, err)
	}
	os.Remove(filepath.Join(rw, Dir, v2.Initrd))
	if _, err := Decide(rw, "2026.11-1"); !errors.Is(err, ErrBadApply) {
		t.Fatalf("missing initrd: %v", err)
	}
}

func TestMaybeApplyKeepsCommandLine(t *testing.T) {
	rw := t.TempDir()
	stage(t, rw, v2, []byte("bzImage bytes"))
	var r recorder
	if err := r.sys().maybeApply(rw, "2026.11-1", "console=ttyS0 cvmfs_repos=a.b\n"); err != nil {
		t.Fatal(err)
	}
	if r.kernel != "bzImage bytes" || r.initrd != "initrd bytes" || r.cmdline != "console=ttyS0 cvmfs_repos=a.b" {
		t.Fatalf("loaded %+v", r)
	}
	if !r.remounted || !r.rebooted {
		t.Fatalf("no remount/reboot: %+v", r)
	}
	// The staged bootloader came up as the old version: no second kexec.
	var r2 recorder
	if err := r2.sys().maybeApply(rw, "2026.11-1", "x"); !errors.Is(err, ErrLoop) {
		t.Fatalf("loop not detected: %v", err)
	}
	if r2.rebooted {
		t.Fatal("rebooted in a loop")
	}
	// the next cold boot tries again
	var r3 recorder
	if err := r3.sys().maybeApply(rw, "2026.11-1", "x"); err != nil || !r3.rebooted {
		t.Fatalf("cold boot after a loop: %v %+v", err, r3)
	}
	// the new version sees itself: nothing to do, marker cleared
	if err := MaybeApply(rw, "2026.11-2", "x"); !errors.Is(err, ErrNothingToDo) {
		t.Fatalf("running the staged version: %v", err)
	}
	if _, err := os.Stat(filepath.Join(rw, Dir, attempted)); !os.IsNotExist(err) {
		t.Fatal("marker not cleared")
	}
}

func TestMaybeApplyOwnCmdlineAndLoadError(t *testing.T) {
	rw := t.TempDir()
	a := v2
	a.Cmdline = "console=ttyS0 new=1"
	stage(t, rw, a, []byte("k"))
	r := recorder{loadErr: unix.ENOEXEC}
	err := r.sys().maybeApply(rw, "old", "console=tty0")
	if !errors.Is(err, unix.ENOEXEC) || r.cmdline != "console=ttyS0 new=1" || r.rebooted {
		t.Fatalf("err %v, %+v", err, r)
	}
	if _, err := os.Stat(filepath.Join(rw, Dir, attempted)); !os.IsNotExist(err) {
		t.Fatal("marker left after a failed load")
	}
}

func TestXZKernelInflated(t *testing.T) {
	xzBin := testutil.RequireCommand(t, "xz")
	rw := t.TempDir()
	raw := strings.Repeat("bzImage payload ", 1000)
	cmd := exec.Command(xzBin, "--check=crc32", "-c")
	cmd.Stdin = strings.NewReader(raw)
	comp, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	a := v2
	a.Kernel = "vmlinuz-6.1.0.xz"
	stage(t, rw, a, comp)
	var r recorder
	if err := r.sys().maybeApply(rw, "old", "c"); err != nil {
		t.Fatal(err)
	}
	if r.kernel != raw {
		t.Fatalf("kernel handed to kexec is %d bytes, want the inflated %d", len(r.kernel), len(raw))
	}
}
