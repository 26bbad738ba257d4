package update_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/boot"
	"github.com/ucvm/ucvm/internal/kexec"
	"github.com/ucvm/ucvm/internal/rebase"
	"github.com/ucvm/ucvm/internal/update"
	"github.com/ucvm/ucvm/internal/update/updatetest"
)

var ctx = context.Background()

func opts(f *updatetest.Fixture) update.Options {
	return update.Options{Root: f.Root, Timeout: 3 * time.Second, Now: func() time.Time { return time.Date(2026, 11, 23, 2, 0, 0, 0, time.UTC) }}
}

func contains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Fatalf("%s lacks %q:\n%s", what, sub, s)
		}
	}
}

// TestOSUpdateCycle: pinned to revision 2, revision 3 appears, --check
// finds it, --motd notes it, --apply unpins, and the notice goes away.
func TestOSUpdateCycle(t *testing.T) {
	f := updatetest.New(t, "2026.11-1")
	f.SrcFile("os/etc/os-release", []byte("v1\n"))
	h1 := f.Publish("v1")
	f.Pin(h1, "")
	st, err := update.Check(ctx, opts(f))
	if err != nil {
		t.Fatal(err)
	}
	if st.OSUpdate || st.Updates() || st.Installed.Revision != 2 || st.NewestTag != "v1" {
		t.Fatalf("fresh pin: %+v installed %+v", st, st.Installed)
	}
	f.SrcFile("os/etc/os-release", []byte("v2\n"))
	h2 := f.Publish("v2")
	st, err = update.Check(ctx, opts(f))
	if err != nil {
		t.Fatal(err)
	}
	if !st.OSUpdate || st.Available.RootHash != h2 || st.Available.Revision != 3 || st.BootloaderUpdate {
		t.Fatalf("after revision 3: %+v", st)
	}
	var out bytes.Buffer
	st.Print(&out)
	contains(t, "report", out.String(), "OS installed:          revision 2, root hash "+h1, "OS available:          revision 3",
		"OS newest tag:         v2", "Bootloader running:    2026.11-1", "no /update-packs", "*** ucvm: OS update available")

	f.Write("etc/motd", "\nWelcome\n*** ucvm: stale notice about an OS update\n")
	if _, err := update.Motd(ctx, opts(f)); err != nil {
		t.Fatal(err)
	}
	motd := readFile(t, filepath.Join(f.Root, "etc/motd"))
	if !strings.HasPrefix(motd, "\nWelcome\n*** ucvm: OS update available (tag v2, revision 3)") || strings.Count(motd, "***") != 1 {
		t.Fatalf("motd:\n%q", motd)
	}
	a, err := update.ApplyOS(ctx, opts(f))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Archived) != 1 || filepath.Base(a.Archived[0]) != "cvmfs_snapshot.upd-r2-to-r3-20261123T020000Z" {
		t.Fatalf("archived %v", a.Archived)
	}
	if pin, _ := boot.ReadSnapshot(f.RW); pin != nil {
		t.Fatalf("still pinned: %+v", pin)
	}
	if got := readFile(t, a.Archived[0]); got != h1+"\n\n" {
		t.Fatalf("archived pin %q", got)
	}
	if motd := readFile(t, filepath.Join(f.Root, "etc/motd")); motd != "\nWelcome\n" {
		t.Fatalf("motd after apply %q", motd)
	}
	if _, err := update.ApplyOS(ctx, opts(f)); !errors.Is(err, update.ErrUnpinned) {
		t.Fatalf("second apply before the reboot: %v", err)
	}
	// the next boot pins revision 3: up to date, nothing to apply
	f.Pin(h2, "")
	if _, err := update.ApplyOS(ctx, opts(f)); !errors.Is(err, update.ErrUpToDate) {
		t.Fatalf("apply when up to date: %v", err)
	}
	if _, err := update.Motd(ctx, opts(f)); err != nil {
		t.Fatal(err)
	}
	if motd := readFile(t, filepath.Join(f.Root, "etc/motd")); motd != "\nWelcome\n" {
		t.Fatalf("motd when up to date %q", motd)
	}
}

// TestFollowTag: a pin with a tag follows that tag, not the newest revision.
func TestFollowTagAndForceTag(t *testing.T) {
	f := updatetest.New(t, "1")
	f.SrcFile("os/a", []byte("1"))
	h1 := f.Publish("stable")
	f.Pin(h1, "stable")
	f.SrcFile("os/a", []byte("2"))
	h2 := f.Publish("testing")
	st, err := update.Check(ctx, opts(f))
	if err != nil || st.OSUpdate || st.Available.Tag != "stable" {
		t.Fatalf("tagged pin: %+v %v", st, err)
	}
	if _, err := update.ForceTag(ctx, opts(f), "nonexistent"); err == nil || !strings.Contains(err.Error(), "stable") {
		t.Fatalf("unknown tag: %v", err)
	}
	st, err = update.ForceTag(ctx, opts(f), "testing")
	if err != nil || st.Available.RootHash != h2 {
		t.Fatalf("force tag: %+v %v", st, err)
	}
	if got := boot.ReadForceTag(f.RW); got != "testing" {
		t.Fatalf("force tag file %q", got)
	}
	if pin, _ := boot.ReadSnapshot(f.RW); pin != nil {
		t.Fatal("pin not archived")
	}
	// --apply archives the forced tag too
	f.Pin(h2, "testing")
	a, err := update.ApplyOS(ctx, opts(f))
	if err != nil || len(a.Archived) != 2 || boot.ReadForceTag(f.RW) != "" {
		t.Fatalf("apply after force tag: %+v %v", a, err)
	}
}

func TestPolicyStayRefusesApply(t *testing.T) {
	f := updatetest.New(t, "1")
	f.SrcFile("os/a", []byte("1"))
	f.Pin(f.Publish(""), "")
	f.SrcFile("os/a", []byte("2"))
	f.Publish("")
	if err := update.SetPolicy(opts(f), rebase.Stay); err != nil {
		t.Fatal(err)
	}
	if _, err := update.ApplyOS(ctx, opts(f)); !errors.Is(err, update.ErrPolicyStay) {
		t.Fatalf("apply under stay: %v", err)
	}
	if pin, _ := boot.ReadSnapshot(f.RW); pin == nil {
		t.Fatal("unpinned under policy stay")
	}
}

// TestBootloaderStage: the newest pack by version is found, verified
// against its sha256, unpacked into kexec/ and then decided on by kexec.
func TestBootloaderStage(t *testing.T) {
	f := updatetest.New(t, "2026.9-1")
	f.SrcFile("os/a", []byte("1"))
	f.AddPack("2026.9-1")
	f.AddPack("2026.10-2")
	f.AddPack("2026.10-10")
	f.Pin(f.Publish(""), "")
	st, err := update.Check(ctx, opts(f))
	if err != nil || !st.BootloaderUpdate || st.BootAvailable.Version != "2026.10-10" || st.OSUpdate {
		t.Fatalf("check: %+v %v", st, err)
	}
	s, err := update.StageBootloader(ctx, opts(f))
	if err != nil {
		t.Fatal(err)
	}
	if s.Apply.Version != "2026.10-10" || s.Signed || len(s.SHA256) != 64 {
		t.Fatalf("staged %+v", s)
	}
	if got := readFile(t, filepath.Join(f.RW, "kexec", s.Apply.Kernel)); got != "bzImage of 2026.10-10" {
		t.Fatalf("staged kernel %q", got)
	}
	a, err := kexec.Decide(f.RW, "2026.9-1")
	if err != nil || a.Version != "2026.10-10" {
		t.Fatalf("kexec.Decide after staging: %+v %v", a, err)
	}
	// staged already: no further update reported
	st, err = update.Check(ctx, opts(f))
	if err != nil || st.BootloaderUpdate || st.BootStaged != "2026.10-10" {
		t.Fatalf("after staging: %+v %v", st, err)
	}
	if _, err := update.StageBootloader(ctx, opts(f)); !errors.Is(err, update.ErrUpToDate) {
		t.Fatalf("second stage: %v", err)
	}
}

func TestBootloaderBadChecksum(t *testing.T) {
	f := updatetest.New(t, "1")
	f.AddPack("2")
	f.SrcFile("update-packs/ucvm.2.tar.sha256", []byte(strings.Repeat("0", 64)+"  ucvm.2.tar\n"))
	f.Pin(f.Publish(""), "")
	_, err := update.StageBootloader(ctx, opts(f))
	if !errors.Is(err, update.ErrBadPack) || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("bad checksum: %v", err)
	}
	if _, err := os.Stat(filepath.Join(f.RW, "kexec", "apply")); !os.IsNotExist(err) {
		t.Fatal("a bad pack was staged")
	}
}

func TestBootloaderLatestFile(t *testing.T) {
	f := updatetest.New(t, "1")
	data, sum := updatetest.Pack("5")
	f.SrcFile("update-packs/pack-five.tar", data)
	f.AddPack("9") // ignored: latest names the current pack
	f.SrcFile("update-packs/latest", []byte("version=5\nupdate-pack=pack-five.tar\nsha256="+sum+"\n"))
	f.Pin(f.Publish(""), "")
	s, err := update.StageBootloader(ctx, opts(f))
	if err != nil || s.Apply.Version != "5" {
		t.Fatalf("latest: %+v %v", s, err)
	}
}

func TestNoScratchDisk(t *testing.T) {
	_, err := update.Check(ctx, update.Options{Root: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "--root") {
		t.Fatalf("no scratch disk: %v", err)
	}
}

func TestInstallUnits(t *testing.T) {
	root := t.TempDir()
	files, err := update.InstallUnits(root, "/usr/local/bin/ucvm")
	if err != nil || len(files) != 3 {
		t.Fatalf("%v %v", files, err)
	}
	svc := readFile(t, filepath.Join(root, "etc/systemd/system", update.ServiceUnit))
	contains(t, "service", svc, "ExecStart=/usr/local/bin/ucvm update --motd", "Type=oneshot")
	if l, err := os.Readlink(filepath.Join(root, "etc/systemd/system/timers.target.wants", update.TimerUnit)); err != nil || l != "../"+update.TimerUnit {
		t.Fatalf("timer not enabled: %q %v", l, err)
	}
	if _, err := update.InstallUnits(root, "ucvm"); err == nil {
		t.Fatal("relative binary accepted")
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
