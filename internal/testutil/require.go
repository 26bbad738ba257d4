package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where a missing
// prerequisite is a failure instead of a skip.
func InCI() bool { return os.Getenv("CI") == "true" }

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if InCI() {
		t.Fatalf("prerequisite missing in CI: "+format, args...)
	}
	t.Skipf("skipping: "+format, args...)
}

// RequireRoot skips (fails in CI) unless the test runs as root.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "needs root")
	}
}

// RequireFUSE skips (fails in CI) unless /dev/fuse is usable by root.
func RequireFUSE(t testing.TB) {
	t.Helper()
	RequireRoot(t)
	if _, err := os.Stat("/dev/fuse"); err != nil {
		missing(t, "needs /dev/fuse: %v", err)
	}
}

// RequireCommand skips (fails in CI) unless every named program is on PATH
// and returns the path of the first one.
func RequireCommand(t testing.TB, names ...string) string {
	t.Helper()
	first := ""
	for _, n := range names {
		p, err := exec.LookPath(n)
		if err != nil {
			missing(t, "needs %s on PATH (make deps installs it)", n)
		}
		if first == "" {
			first = p
		}
	}
	return first
}

// RepoRoot returns the top directory of this Go module.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedDir returns ../shared beside the repository (the project's fixtures and
// specs), or skips (fails in CI) when it is absent.
func SharedDir(t testing.TB) string {
	t.Helper()
	d := filepath.Join(RepoRoot(), "..", "shared")
	if _, err := os.Stat(d); err != nil {
		missing(t, "needs ../shared beside the repository: %v", err)
	}
	return d
}

// FixtureRepo returns the directory of the real CernVM-FS fixture repository.
func FixtureRepo(t testing.TB) string {
	t.Helper()
	return filepath.Join(SharedDir(t), "fixtures", "cvmfs", "test.repo.local")
}

// RequireFilesystem skips (fails in CI) unless the kernel mounts fstype
// (after a modprobe) and has loop devices: the boot pack tests mount
// EROFS images through them.
func RequireFilesystem(t testing.TB, fstype string) {
	t.Helper()
	RequireRoot(t)
	_ = exec.Command("modprobe", "-q", fstype).Run()
	_ = exec.Command("modprobe", "-q", "loop").Run()
	b, _ := os.ReadFile("/proc/filesystems")
	if !strings.Contains(string(b), "\t"+fstype+"\n") {
		missing(t, "the kernel has no %s file system", fstype)
	}
	if _, err := os.Stat("/dev/loop-control"); err != nil {
		missing(t, "no loop devices: %v", err)
	}
}
