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
	for round := 0; round < 5; round++ {
		s := r.settings(t)
		s.Tag, s.Fresh = "v1", true
		m := mountT(t, s)
		sock := fusefs.SocketPath(filepath.Join(s.CacheDir, s.FQRN), s.FQRN)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for i := 0; i < 2; i++ {
			wg.Add(2)
			go func() {
				defer wg.Done()
				if _, err := fusefs.Talk(sock, "pin /cvm/bin/busybox", time.Minute); err != nil {
					errs <- err
				}
			}()
			go func() {
				defer wg.Done()
				b, err := os.ReadFile(filepath.Join(mounts[m], "cvm/bin/busybox"))
				if err == nil && string(b) != big {
					err = os.ErrInvalid
				}
				if err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("round %d: pin/read race: %v", round, err)
		}
		stopMount(m, mounts[m])
	}
}
