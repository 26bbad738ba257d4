package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/cliutil"
	"github.com/ucvm/ucvm/internal/update/updatetest"
)

// TestCLIUpdate runs every mode of `ucvm update --root` against a real
// repository served on 127.0.0.1 and checks output and exit codes.
func TestCLIUpdate(t *testing.T) {
	f := updatetest.New(t, "2026.11-1")
	f.SrcFile("os/etc/hostname", []byte("one\n"))
	f.Pin(f.Publish("v1"), "")
	run := func(args ...string) (string, int) {
		out, err := ucvm(t, append([]string{"update", "--root", f.Root, "--timeout", "3s"}, args...)...)
		return out, cliutil.ExitCode(err)
	}
	if out, code := run("--check"); code != 0 || !strings.Contains(out, "up to date") {
		t.Fatalf("--check up to date: exit %d %q", code, out)
	}
	f.SrcFile("os/etc/hostname", []byte("two\n"))
	f.AddPack("2026.11-2")
	f.Publish("v2")
	out, code := run("--check")
	if code != cliutil.ExitUpdate || !strings.Contains(out, "OS update available") || !strings.Contains(out, "bootloader 2026.11-2 available") {
		t.Fatalf("--check with updates: exit %d %q", code, out)
	}
	out, code = run()
	if code != 0 || !strings.Contains(out, "Bootloader available:  2026.11-2 (/update-packs/ucvm.2026.11-2.tar)") || !strings.Contains(out, "OS available:          revision 3, tag v2") {
		t.Fatalf("report: exit %d\n%s", code, out)
	}
	if out, code = run("--motd"); code != 0 || !strings.Contains(out, "OS update available") {
		t.Fatalf("--motd: exit %d %q", code, out)
	}
	if out, code = run("--bootloader"); code != 0 || !strings.Contains(out, "Staged bootloader 2026.11-2") {
		t.Fatalf("--bootloader: exit %d %q", code, out)
	}
	if _, err := os.Stat(filepath.Join(f.RW, "kexec", "apply")); err != nil {
		t.Fatal(err)
	}
	if out, code = run("--apply"); code != 0 || !strings.Contains(out, "Please reboot") {
		t.Fatalf("--apply: exit %d %q", code, out)
	}
	motd, _ := os.ReadFile(filepath.Join(f.Root, "etc/motd"))
	if strings.Contains(string(motd), "***") {
		t.Fatalf("notices left in motd after applying both: %q", motd)
	}
	if out, code = run("--force-tag", "v1"); code != 0 || !strings.Contains(out, "Forced tag v1") {
		t.Fatalf("--force-tag: exit %d %q", code, out)
	}
	if _, code = run("--force-tag", "nope"); code != cliutil.ExitFailure {
		t.Fatalf("--force-tag of a missing tag: exit %d", code)
	}
	if _, code = run("--policy", "sideways"); code != cliutil.ExitUsage {
		t.Fatalf("bad policy: exit %d", code)
	}
	if out, code = run("--policy", "diverge"); code != 0 || !strings.Contains(out, "diverge") {
		t.Fatalf("--policy: exit %d %q", code, out)
	}
	if _, code = run("--check", "--apply"); code != cliutil.ExitUsage {
		t.Fatalf("two modes: exit %d", code)
	}
	if _, err := ucvm(t, "update", "--root", t.TempDir()); cliutil.ExitCode(err) != cliutil.ExitFailure || !strings.Contains(err.Error(), "scratch disk") {
		t.Fatalf("no scratch disk: %v", err)
	}
}
