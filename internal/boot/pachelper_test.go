package boot

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/clientconfig/pac"
	"github.com/ucvm/ucvm/internal/image/bootbin"
	"github.com/ucvm/ucvm/internal/image/initrd"
	"github.com/ucvm/ucvm/internal/testutil"
)

// TestPACHelper: the bootloader evaluates PAC files with the helper the
// initrd keeps xz-compressed (built here from cmd/ucvm-pac, compressed as
// the initrd builder does), unpacked on first use; script errors and a
// missing helper come back as pac.ErrPAC with the reason.
func TestPACHelper(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "ucvm-pac")
	if err := bootbin.BuildBootloader(context.Background(), testutil.RepoRoot(), bootbin.PACHelperPackage, bin); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var z bytes.Buffer
	if _, err := initrd.Compress(&z, raw, "xz"); err != nil {
		t.Fatal(err)
	}
	lib := filepath.Join(dir, "lib/ucvm")
	xzPath := filepath.Join(lib, filepath.Base(PACHelperXZ))
	if err := os.MkdirAll(lib, 0o755); err != nil || os.WriteFile(xzPath, z.Bytes(), 0o644) != nil {
		t.Fatal("cannot write the helper")
	}
	defer pac.SetEvaluator(nil)
	InstallPACHelper(xzPath)
	script := `function FindProxyForURL(url, host) {
  return isInNet(host, "10.0.0.0", "255.0.0.0") ? "PROXY squid.site:3128; DIRECT" : "DIRECT";
}`
	answer, err := pac.Evaluate(script, "http://10.1.2.3/cvmfs/r/.cvmfspublished", "10.1.2.3", pac.Options{Timeout: time.Second})
	if err != nil || answer != "PROXY squid.site:3128; DIRECT" {
		t.Fatalf("answer %q, %v", answer, err)
	}
	if st, err := os.Stat(strings.TrimSuffix(xzPath, ".xz")); err != nil || st.Size() != int64(len(raw)) {
		t.Fatalf("unpacked helper: %v", err)
	}
	_, err = pac.Evaluate("function FindProxyForURL(u, h) { return nope(); }", "http://x/", "x", pac.Options{Timeout: time.Second})
	if !errors.Is(err, pac.ErrPAC) || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("failing script: %v", err)
	}
	InstallPACHelper(filepath.Join(dir, "missing.xz"))
	if _, err := pac.Evaluate(script, "http://x/", "x", pac.Options{}); !errors.Is(err, pac.ErrPAC) || !strings.Contains(err.Error(), "no PAC helper") {
		t.Fatalf("missing helper: %v", err)
	}
}
