package boot

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolveInMergedUsr(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "usr/sbin"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/lib/systemd"), 0o755)
	os.WriteFile(filepath.Join(root, "usr/lib/systemd/systemd"), []byte("x"), 0o755)
	os.Symlink("usr/sbin", filepath.Join(root, "sbin"))
	os.Symlink("usr/lib", filepath.Join(root, "lib"))
	os.Symlink("/lib/systemd/systemd", filepath.Join(root, "usr/sbin/init"))
	got, err := resolveIn(root, "/sbin/init")
	if err != nil || got != filepath.Join(root, "usr/lib/systemd/systemd") {
		t.Fatalf("%q %v", got, err)
	}
	os.Symlink("../../../../etc/passwd", filepath.Join(root, "usr/sbin/escape"))
	if got, err := resolveIn(root, "/sbin/escape"); err == nil {
		t.Fatalf("escaped to %q", got)
	}
	os.Symlink("loop", filepath.Join(root, "loop"))
	if _, err := resolveIn(root, "/loop"); err == nil {
		t.Fatal("symlink loop resolved")
	}
}
