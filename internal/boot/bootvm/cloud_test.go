package bootvm

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/partition/mbr"

	"github.com/ucvm/ucvm/internal/qemu"
	"github.com/ucvm/ucvm/internal/testutil"
)

// ec2IMDS serves user data the way EC2's IMDSv2 does: a session token from
// PUT /latest/api/token, then token-authenticated GETs.
func ec2IMDS(t *testing.T, userData string) (*httptest.Server, *counter) {
	got := &counter{}
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /latest/api/token", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
			http.Error(w, "", http.StatusBadRequest)
			return
		}
		w.Write([]byte("tok-123"))
	})
	auth := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("X-aws-ec2-metadata-token") != "tok-123" {
				http.Error(w, "", http.StatusUnauthorized)
				return
			}
			h(w, r)
		}
	}
	mux.HandleFunc("GET /2016-04-19/user-data", auth(func(w http.ResponseWriter, r *http.Request) {
		got.inc()
		w.Write([]byte(userData))
	}))
	mux.HandleFunc("GET /2016-04-19/meta-data/ami-id", auth(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ami-1")) }))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, got
}

// TestEC2Metadata: user data from an EC2-style metadata service at
// 169.254.169.254 (QEMU guestfwd to a server on 127.0.0.1); the server
// list from the user data is used.
func TestEC2Metadata(t *testing.T) {
	requireVM(t)
	r := newOSRepo(t)
	ud := "[ucernvm-begin]\ncvmfs_server=169.254.169.100:8080\n[ucernvm-end]\n"
	md, got := ec2IMDS(t, ud)
	n := &qemu.Net{Network: "169.254.0.0/16", Host: "169.254.169.2",
		GuestFwd: []qemu.GuestFwd{{GuestAddr: "169.254.169.254:80", Host: strings.TrimPrefix(md.URL, "http://")}}}
	// ucvmtest.pivot: the tiny OS hands back the way systemd does.
	vm := bootVM(t, r, vmOpts{disks: []qemu.Drive{{File: sparseDisk(t, 1<<30)}}, net: n, repoAddr: "169.254.169.100:8080",
		append: "ucvmtest.pivot"})
	marker(t, vm, `Contextualizing VM\.\.\. EC2`)
	marker(t, vm, `UCVM-SOURCE EC2`)
	marker(t, vm, `UCVM-UCONTEXT _UCONTEXT_CVMFS_SERVER='169\.254\.169\.100:8080'`)
	// The hand-back program is a bind mount of the initramfs (not a copy).
	marker(t, vm, `UCVM-HANDBACK mounts=1 exe=yes`)
	marker(t, vm, `UCVM-OS-DONE`)
	// The shutdown hand-back stops the client, then remounts the scratch
	// disk read-only (through a descriptor: the path runs through the
	// union root whose lower layer is gone by then).
	marker(t, vm, `\[INF\] shutting down \(poweroff, OS at /oldroot\)`)
	marker(t, vm, `\[INF\] scratch disk read-only`)
	waitOff(t, vm)
	if got.get() == 0 {
		t.Fatal("user data never fetched with the IMDSv2 token")
	}
}

// bootDisk makes a disk like the µCernVM hdd image: MBR with one FAT
// partition holding the boot-loader sentinel, on a bigger disk.
func bootDisk(t *testing.T, size int64) string {
	t.Helper()
	mkfs := testutil.RequireCommand(t, "mkfs.vfat")
	mcopy := testutil.RequireCommand(t, "mcopy")
	dir := t.TempDir()
	fat := filepath.Join(dir, "fat.img")
	const fatSize = 64 << 20
	if out, err := exec.Command(mkfs, "-C", fat, "-n", "UCVMBOOT", "65536").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.vfat: %v %s", err, out)
	}
	os.WriteFile(filepath.Join(dir, ".ucvm_boot_loader"), nil, 0o644)
	if out, err := exec.Command(mcopy, "-i", fat, filepath.Join(dir, ".ucvm_boot_loader"), "::/").CombinedOutput(); err != nil {
		t.Fatalf("mcopy: %v %s", err, out)
	}
	img := filepath.Join(dir, "boot.img")
	f, _ := os.Create(img)
	defer f.Close()
	f.Truncate(size)
	tbl := &mbr.Table{LogicalSectorSize: 512, PhysicalSectorSize: 512, Partitions: []*mbr.Partition{
		{Index: 1, Bootable: true, Type: mbr.Fat32LBA, Start: 2048, Size: fatSize / 512}}}
	w, _ := file.New(f, false).Writable()
	if err := tbl.Write(w, size); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(fat)
	if _, err := f.WriteAt(b, 2048*512); err != nil {
		t.Fatal(err)
	}
	return img
}

// TestBootDiskPartition: with no empty disk, a second partition is added in
// the free space of the boot disk.
func TestBootDiskPartition(t *testing.T) {
	requireVM(t)
	r := newOSRepo(t)
	vm := bootVM(t, r, vmOpts{disks: []qemu.Drive{{File: bootDisk(t, 2<<30)}}})
	marker(t, vm, `Adding partition\(s\) to boot disk /dev/vda\.\.\. check`)
	marker(t, vm, `Formatting /dev/vda2\.\.\. check`)
	marker(t, vm, `UCVM-OS-INIT release=release-1`)
	marker(t, vm, `UCVM-OS-DONE`)
	waitOff(t, vm)
}

// TestDebugPause: cvmdebug stops before the hand-over in a rescue shell
// (scripted through a second serial port); reset_root_password works and
// leaving the shell continues the boot.
func TestDebugPause(t *testing.T) {
	requireVM(t)
	r := newOSRepo(t)
	sock := filepath.Join(t.TempDir(), "ttyS1.sock")
	vm := bootVM(t, r, vmOpts{disks: []qemu.Drive{{File: sparseDisk(t, 1<<30)}},
		append: "cvmdebug ucvm.rescue_tty=/dev/ttyS1",
		extra:  []string{"-chardev", "socket,id=dbg,path=" + sock + ",server=on,wait=off", "-device", "isa-serial,chardev=dbg,index=1"}})
	marker(t, vm, `\[ERR\] Debug mode`)
	var conn net.Conn
	var err error
	for i := 0; i < 50; i++ {
		if conn, err = net.Dial("unix", sock); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	expect := func(s string) {
		t.Helper()
		conn.SetReadDeadline(time.Now().Add(60 * time.Second))
		var seen strings.Builder
		buf := make([]byte, 4096)
		for !strings.Contains(seen.String(), s) {
			n, err := conn.Read(buf)
			if err != nil {
				t.Fatalf("waiting for %q on ttyS1: %v; got %q", s, err, seen.String())
			}
			seen.Write(buf[:n])
		}
	}
	expect("(initrd) ")
	conn.Write([]byte("reset_root_password\n"))
	expect("root password set")
	conn.Write([]byte("exit\n"))
	expect("Continue boot")
	conn.Write([]byte("c\n"))
	marker(t, vm, `UCVM-ROOT root:\$6\$ucvmreset\$`)
	marker(t, vm, `UCVM-OS-DONE`)
	waitOff(t, vm)
}
