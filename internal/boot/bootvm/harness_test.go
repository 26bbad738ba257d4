package bootvm

import (
	"bytes"
	"context"
	"fmt"
	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/reader"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/image/imagetest"
	"github.com/ucvm/ucvm/internal/image/initrd"
	"github.com/ucvm/ucvm/internal/image/spec"
	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/qemu"
	"github.com/ucvm/ucvm/internal/repo"
	"github.com/ucvm/ucvm/internal/serve"
	"github.com/ucvm/ucvm/internal/testutil"
)

const (
	fqrn     = "os.ucvm.test"
	osPath   = "cvm"
	repoAddr = "10.0.2.100:80" // guest view of the repository server
	repoHost = "10.0.2.100"
)

// osInit is the tiny OS's /sbin/init: markers on the console, a file
// written to the r/w layer, an optional per-test script, then power-off
// through the bootloader's shutdown hand-back.
const osInit = `#!/bin/sh
B=/bin/busybox
echo "UCVM-OS-INIT release=$($B cat /etc/release) snapshot=$($B head -n1 /mnt/.rw/aux/cvmfs_snapshot)"
echo "UCVM-SOURCE $($B cat /mnt/.rw/context/source 2>/dev/null)"
if [ -f /mnt/.rw/context/ucontext ]; then
  $B sed 's/^/UCVM-UCONTEXT /' /mnt/.rw/context/ucontext
fi
$B grep -h CVMFS_HTTP_PROXY /run/ucvm/*.conf | $B sed 's/^/UCVM-CONF /'
[ -f /injected.txt ] && echo "UCVM-INJECTED $($B cat /injected.txt)"
echo boot >> /persist-marker
echo "UCVM-PERSIST $($B wc -l < /persist-marker)"
echo "UCVM-ROOT $($B grep '^root:' /etc/shadow)"
echo "UCVM-PIDS $($B cat /.cvmfs_pids)"
echo "UCVM-FSCK $($B head -n1 /mnt/.rw/ulogs/fsck.log)"
echo "UCVM-HANDBACK mounts=$($B grep -c ' /run/initramfs ' /proc/mounts) exe=$($B test -x /run/initramfs/shutdown && echo yes)"
echo "UCVM-LOWER $($B grep -o 'lowerdir=[^,]*' /proc/mounts | $B head -n1)"
echo "UCVM-MODULES $($B ls /lib/modules/$($B uname -r)/kernel 2>&1 | $B head -n1) upper=$($B ls /mnt/.rw/persistent/lib/modules 2>/dev/null | $B wc -l)"
echo "UCVM-DF $($B df -m /mnt/.rw | $B tail -n1 | $B awk '{print $2}')"
i=0; while [ ! -f /mnt/.rw/cache/pinned ] && [ $i -lt 100 ]; do $B sleep 0.1; i=$((i+1)); done
echo "UCVM-PINNED $($B cat /mnt/.rw/cache/pinned 2>/dev/null)"
echo "UCVM-FILES tool=$($B cat /usr/tool 2>&1 | $B tr ' ' _) gone=$($B cat /usr/gone 2>&1 | $B tr ' ' _) local=$($B cat /etc/local.conf 2>&1 | $B tr ' ' _) users=$($B cut -d: -f1,3 /etc/passwd | $B tr '\n' ' ')"
for p in $($B cat /proc/cmdline); do
  case $p in
    ucvmtest.localchanges) echo local > /etc/local.conf; echo local > /usr/tool; $B rm /usr/gone; echo "alice:x:1000:1000::/:/bin/sh" >> /etc/passwd; echo UCVM-CHANGED ;;
    ucvmtest.stage) $B mkdir -p /mnt/.rw/kexec; $B cp /pack/* /mnt/.rw/kexec/; $B ls /mnt/.rw/kexec; echo UCVM-STAGED ;;
    ucvmtest.forcetag=*) echo "${p#ucvmtest.forcetag=}" > /mnt/.rw/aux/cvmfs_force_tag; echo "UCVM-FORCED" ;;
    ucvmtest.unforce) $B rm -f /mnt/.rw/aux/cvmfs_force_tag ;;
    ucvmtest.rminjected) $B rm -f /injected.txt ;;
    ucvmtest.resize) $B touch /mnt/.rw/aux/resize ;;
    ucvmtest.extra) $B sed 's/^/UCVM-EXTRA /' /mnt/.rw/context/extra-ucontext; echo "UCVM-PICKUP $($B cat /picked-up.txt)" ;;
  esac
done
echo "UCVM-OS-DONE"
if $B grep -q ucvmtest.pivot /proc/cmdline; then
  # What systemd-shutdown does: the OS's /mnt/.rw is unmounted, /run/initramfs
  # remounted read-only, the API file systems bound into it, pivot, ./shutdown.
  $B umount /mnt/.rw
  $B mount -o remount,ro,bind /run/initramfs
  for d in sys proc dev run; do $B mount --bind /$d /run/initramfs/$d; done
  cd /run/initramfs && $B pivot_root . oldroot && cd / && exec /shutdown poweroff
  echo "UCVM-PIVOT-FAILED"
fi
exec /run/initramfs/shutdown poweroff
`

// osRepo is the OS repository served on 127.0.0.1.
type osRepo struct {
	storage, keys string
	srv           *httptest.Server
	pack          map[string][]byte
	bootList      []string // publish: also a boot pack of these files
	hits, bytes   *counter
	down          bool // server stopped: the guest cannot reach it
}

// stop takes the repository server away.
func (r *osRepo) stop() {
	r.srv.Close()
	r.down = true
}

type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc()      { c.add(1) }
func (c *counter) add(n int) { c.mu.Lock(); c.n += n; c.mu.Unlock() }
func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func newOSRepo(t testing.TB) *osRepo {
	t.Helper()
	d := t.TempDir()
	r := &osRepo{storage: filepath.Join(d, "storage"), keys: sharedKeys(t), hits: &counter{}, bytes: &counter{}}
	if _, _, err := repo.Create(fqrn, r.storage, r.keys, time.Now()); err != nil {
		t.Fatal(err)
	}
	r.publish(t, "v1", "release-1")
	rp, err := serve.Discover(r.storage)
	if err != nil {
		t.Fatal(err)
	}
	h, err := serve.NewHandler([]serve.Repo{rp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.inc()
		h.ServeHTTP(countingWriter{w, r.bytes}, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// publish publishes the tiny OS with the given release string.
func (r *osRepo) publish(t testing.TB, tag, release string) {
	t.Helper()
	src := t.TempDir()
	root := filepath.Join(src, osPath)
	for _, d := range []string{"bin", "sbin", "etc", "proc", "sys", "dev", "run", "tmp", "mnt", "root"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	write := func(p, c string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("bin/busybox", string(bb), 0o755)
	os.Symlink("busybox", filepath.Join(root, "bin/sh"))
	write("sbin/init", osInit, 0o755)
	write("etc/release", release+"\n", 0o644)
	os.MkdirAll(filepath.Join(root, "usr"), 0o755)
	write("usr/tool", release+"\n", 0o755)
	write("usr/gone", release+"\n", 0o644)
	if len(r.pack) > 0 {
		os.MkdirAll(filepath.Join(root, "pack"), 0o755)
		for n, c := range r.pack {
			write("pack/"+n, string(c), 0o644)
		}
	}
	write("etc/shadow", "root:*:19000:0:99999:7:::\n", 0o600)
	pw := "root:x:0:0:root:/root:/bin/sh\n"
	if strings.HasSuffix(release, "-2") {
		pw += "svc:x:1000:1000::/:/bin/false\n"
	}
	write("etc/passwd", pw, 0o644)
	write(".ucernvm_pinfiles", "/etc/release\n/bin/busybox\n/does/not/exist\n", 0o644)
	write(".ucernvm_bootstrap", "echo \"UCVM-BOOTSTRAP root=$1 src=$UCONTEXT_SRC\"\n", 0o644)
	if _, err := publish.Publish(context.Background(), publish.Options{FQRN: fqrn, Storage: r.storage, Keys: r.keys,
		Source: src, Tag: tag, Workers: 2, Progress: nil}); err != nil {
		t.Fatal(err)
	}
	if len(r.bootList) > 0 {
		r.addBootPack(t, src, tag)
	}
}

// addBootPack packs r.bootList from the revision just published and
// publishes the tree again with the pack, under the same tag.
func (r *osRepo) addBootPack(t testing.TB, src, tag string) {
	t.Helper()
	masters, err := keys.LoadPublic(filepath.Join(r.keys, fqrn+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := reader.NewDirCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rd, err := reader.Open(context.Background(), reader.Options{FQRN: fqrn, Source: reader.DirSource{Dir: r.storage}, Cache: c, MasterKeys: masters, Tag: tag})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	f, err := os.Create(filepath.Join(src, osPath, bootpack.FileName))
	if err != nil {
		t.Fatal(err)
	}
	_, err = bootpack.Build(context.Background(), rd, osPath, r.bootList, f, nil)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		_, err = publish.Publish(context.Background(), publish.Options{FQRN: fqrn, Storage: r.storage, Keys: r.keys, Source: src, Tag: tag, Workers: 2})
	}
	if err != nil {
		t.Fatal(err)
	}
}

func (r *osRepo) hostAddr() string { return strings.TrimPrefix(r.srv.URL, "http://") }

var (
	initrdMu    sync.Mutex
	initrdPaths = map[bool]string{}
)

// e2fsprogs are Debian's mke2fs, e2fsck and resize2fs with their library
// closure (ldd), the fast formatting path of the lab notes. The image
// builder's initrd has none of them; tests that set vmOpts.e2fs add them.
var e2fsprogs = []string{"/sbin/mke2fs", "/sbin/e2fsck", "/sbin/resize2fs", "/etc/mke2fs.conf",
	"/lib/x86_64-linux-gnu/libblkid.so.1", "/lib/x86_64-linux-gnu/libc.so.6", "/lib/x86_64-linux-gnu/libcom_err.so.2",
	"/lib/x86_64-linux-gnu/libe2p.so.2", "/lib/x86_64-linux-gnu/libext2fs.so.2", "/lib/x86_64-linux-gnu/libuuid.so.1",
	"/lib64/ld-linux-x86-64.so.2"}

// buildInitrd builds the initrd (once per variant and test binary). The
// test repositories share one key pair (sharedKeys), so one initrd fits all.
func buildInitrd(t testing.TB, keys string, withE2fs bool) string {
	t.Helper()
	initrdMu.Lock()
	defer initrdMu.Unlock()
	if p, ok := initrdPaths[withE2fs]; ok {
		return p
	}
	k := imagetest.Kernel(t)
	o := initrd.Options{
		Init: imagetest.Bootloader(t), StrongVersion: "2026.11-1.ucvm.x86_64", Kernel: k,
		Modules: []string{"sha256_ssse3", "virtio_pci", "virtio_blk", "virtio_net", "virtio_rng", "crc32c_generic", "ext4",
			"overlay", "fuse", "loop", "erofs", "isofs", "vfat", "nls_cp437", "nls_ascii", "nls_utf8"},
		Branch:   spec.Branch{Name: "test", FQRN: fqrn, OSPath: osPath, Servers: []string{repoHost}, Tag: "v1"},
		KeyFiles: []string{filepath.Join(keys, fqrn+".pub")}, Busybox: "/bin/busybox",
		Compression: "zstd-fast", Epoch: 1_790_000_000,
	}
	a, _, err := initrd.Compose(o)
	if err != nil {
		t.Fatal(err)
	}
	if withE2fs {
		for _, f := range e2fsprogs {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Skipf("e2fsprogs file %s: %v", f, err)
			}
			a.File(strings.TrimPrefix(f, "/"), b, 0o755, initrd.KindOther)
		}
	}
	var raw, out bytes.Buffer
	if err := a.WriteCPIO(&raw, o.Epoch); err != nil {
		t.Fatal(err)
	}
	if _, err := initrd.Compress(&out, raw.Bytes(), "zstd-fast"); err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "ucvm-bootvm-")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "initrd.zst")
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "bootvm: initrd (e2fsprogs %v) %d bytes compressed, %d raw\n", withE2fs, out.Len(), raw.Len())
	initrdPaths[withE2fs] = p
	return p
}

// sharedKeys returns one key directory reused by all test repositories so
// that the initrd (with the public key) is built once.
var (
	keysOnce sync.Once
	keysDir  string
)

func sharedKeys(t testing.TB) string {
	keysOnce.Do(func() {
		keysDir, _ = os.MkdirTemp("", "ucvm-bootvm-keys-")
	})
	return keysDir
}

func requireVM(t testing.TB) {
	t.Helper()
	testutil.RequireCommand(t, "qemu-system-x86_64")
	if _, err := os.Stat("/bin/busybox"); err != nil {
		testutil.RequireCommand(t, "busybox-static-is-missing")
	}
}

// sparseDisk creates an empty sparse disk image.
func sparseDisk(t testing.TB, size int64) string {
	p := filepath.Join(t.TempDir(), "scratch.img")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(size)
	f.Close()
	return p
}

// vmOpts describe one boot.
type vmOpts struct {
	disks  []qemu.Drive
	append string
	net    *qemu.Net
	extra  []string
	// repoAddr is the guest address of the repository server (default
	// 10.0.2.100:80); it must lie inside the user network.
	repoAddr string
	// e2fs adds Debian's mke2fs/e2fsck/resize2fs to the initrd.
	e2fs bool
}

func bootVM(t testing.TB, r *osRepo, o vmOpts) *qemu.VM {
	t.Helper()
	k := imagetest.Kernel(t)
	ird := buildInitrd(t, r.keys, o.e2fs)
	n := o.net
	if n == nil {
		n = &qemu.Net{}
	}
	if !r.down {
		n.GuestFwd = append(n.GuestFwd, qemu.GuestFwd{GuestAddr: orDefault(o.repoAddr, repoAddr), Host: r.hostAddr()})
	}
	n.Extra = append(n.Extra, "restrict=on")
	return qemu.StartT(t, qemu.Config{
		Kernel: k.Vmlinux, Initrd: ird, MemoryMB: 768,
		Append: qemu.AppendDefaults + " quiet ucvm.panic=poweroff ucvm.timings " + o.append,
		Drives: o.disks, Net: n, Timeout: 150 * time.Second, Extra: o.extra,
	})
}

// marker waits for a console line matching re and returns its submatches.
func marker(t testing.TB, vm *qemu.VM, re string) []string {
	t.Helper()
	l := vm.MustWaitFor(t, re, 120*time.Second)
	return regexp.MustCompile(re).FindStringSubmatch(l.Text)
}

func waitOff(t testing.TB, vm *qemu.VM) {
	t.Helper()
	if err := vm.WaitExit(60 * time.Second); err != nil {
		t.Fatalf("VM did not power off: %v", err)
	}
}

// freePort returns an unused loopback port.
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// countingWriter counts the body bytes served.
type countingWriter struct {
	http.ResponseWriter
	c *counter
}

func (w countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.c.add(n)
	return n, err
}
