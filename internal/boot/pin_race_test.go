package boot

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/testutil"
)

// TestPinWhileReading pins files through the control socket while the
// same files are read through the mount, as the boot does when the OS
// starts while the background pinner runs.
func TestPinWhileReading(t *testing.T) {
	testutil.RequireFUSE(t)
	r := newOSRepo(t, "pin.test.local")
	big := strings.Repeat("0123456789abcdef", 1<<16)
	r.publish(t, "v1", map[string]string{"cvm/bin/busybox": big, "cvm/etc/release": "v1\n"})
	s := r.settings(t)
	s.Tag, s.Fresh = "v1", true
	m := mountT(t, s)
	sock := fusefs.SocketPath(filepath.Join(s.CacheDir, s.FQRN), s.FQRN)
	var wg sync.WaitGroup
	var pinErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		for _, p := range []string{"/cvm/etc/release", "/cvm/bin/busybox"} {
			if _, err := fusefs.Talk(sock, "pin "+p, time.Minute); err != nil {
				pinErr = err
			}
		}
	}()
	b, err := os.ReadFile(filepath.Join(mounts[m], "cvm/bin/busybox"))
	wg.Wait()
	if err != nil || string(b) != big {
		t.Fatalf("read while pinning: %v (%d bytes)", err, len(b))
	}
	if pinErr != nil {
		t.Fatalf("pin: %v", pinErr)
	}
}
