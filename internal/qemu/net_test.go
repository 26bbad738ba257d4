package qemu

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/image/imagetest"
	"github.com/ucvm/ucvm/internal/image/initrd"
	"github.com/ucvm/ucvm/internal/image/kernel"
	"github.com/ucvm/ucvm/internal/testutil"
)

// busyboxInitrd makes an initrd whose /init is a busybox script.
func busyboxInitrd(t *testing.T, k *kernel.Kernel, script string) string {
	t.Helper()
	testutil.RequireCommand(t, "busybox")
	db, err := kernel.LoadModuleDB(k.ModulesDir)
	if err != nil {
		t.Fatal(err)
	}
	order, err := db.Closure([]string{"virtio_pci", "virtio_net"})
	if err != nil {
		t.Fatal(err)
	}
	a := initrd.NewArchive()
	bb, _ := os.ReadFile("/bin/busybox")
	a.File("bin/busybox", bb, 0o755, initrd.KindBusybox)
	load := ""
	for _, m := range order {
		data, _ := os.ReadFile(filepath.Join(k.ModulesDir, m))
		a.File("lib/modules/"+m, data, 0o644, initrd.KindModule)
		load += "/bin/busybox insmod /lib/modules/" + m + "\n"
	}
	a.File("init", []byte("#!/bin/busybox sh\n"+load+script), 0o755, initrd.KindInit)
	p := filepath.Join(t.TempDir(), "initrd.cpio")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := a.WriteCPIO(f, 0); err != nil {
		t.Fatal(err)
	}
	return p
}

// The guest reaches a host HTTP server through guestfwd at the cloud
// metadata address; QEMU's user network must span it (Net.Network).
func TestGuestFwdMetadataAddress(t *testing.T) {
	testutil.RequireCommand(t, "qemu-system-x86_64")
	k := imagetest.Kernel(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "metadata-ok %s\n", r.URL.Path)
	})}
	go srv.Serve(ln)
	defer srv.Close()
	script := `/bin/busybox ip link set lo up
/bin/busybox ip link set eth0 up
/bin/busybox ip addr add 169.254.0.15/16 dev eth0
/bin/busybox ip route add default via 169.254.169.2
for i in 1 2; do
  printf 'GET /latest/user-data HTTP/1.0\r\n\r\n' | /bin/busybox nc 169.254.169.254 80
  echo "nc-exit=$?"
done
/bin/busybox poweroff -f
`
	vm := StartT(t, Config{Kernel: k.Vmlinux, Initrd: busyboxInitrd(t, k, script), Firmware: FirmwareQboot,
		Append: AppendDefaults + " quiet", Timeout: 90 * time.Second,
		Net: &Net{Network: "169.254.0.0/16", Host: "169.254.169.2",
			GuestFwd: []GuestFwd{{GuestAddr: "169.254.169.254:80", Host: ln.Addr().String()}}}})
	vm.MustWaitFor(t, `metadata-ok /latest/user-data`, 80*time.Second)
	if err := vm.WaitExit(60 * time.Second); err != nil {
		t.Fatal(err)
	}
	// Two connections in a row, each ended when the server closed it.
	con := vm.Console()
	if strings.Count(con, "metadata-ok") != 2 || strings.Count(con, "nc-exit=0") != 2 {
		t.Fatalf("want two complete requests:\n%s", con)
	}
}
