// Package imagetest holds test helpers shared by the image packages: the
// bootloader binary and Debian's kernel, each made once per test binary.
package imagetest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ucvm/ucvm/internal/image/bootbin"
	"github.com/ucvm/ucvm/internal/image/kernel"
	"github.com/ucvm/ucvm/internal/testutil"
)

var (
	initOnce sync.Once
	initPath string
	initErr  error

	kernOnce sync.Once
	kern     *kernel.Kernel
	kernErr  error
)

// Bootloader returns a static build of ./cmd/ucvm-init, or the binary named
// by $UCVM_TEST_INIT (to test images while the bootloader is being edited).
func Bootloader(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("UCVM_TEST_INIT"); p != "" {
		return p
	}
	initOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ucvm-test-init-")
		if err != nil {
			initErr = err
			return
		}
		initPath = filepath.Join(dir, "init")
		initErr = bootbin.BuildBootloader(context.Background(), testutil.RepoRoot(), "./cmd/ucvm-init", initPath)
	})
	if initErr != nil {
		t.Fatal(initErr)
	}
	return initPath
}

// Kernel returns Debian's kernel from the machine-wide cache (fetched on
// first use).
func Kernel(t testing.TB) *kernel.Kernel {
	t.Helper()
	testutil.RequireCommand(t, "apt-get", "dpkg", "depmod")
	kernOnce.Do(func() { kern, kernErr = kernel.Fetch(context.Background(), "") })
	if kernErr != nil {
		t.Fatal(kernErr)
	}
	return kern
}
