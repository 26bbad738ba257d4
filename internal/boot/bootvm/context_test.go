package bootvm

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/qemu"
	"github.com/ucvm/ucvm/internal/testutil"
)

// makeISO builds an ISO 9660 image (Rock Ridge) with the given files.
func makeISO(t *testing.T, label string, files map[string][]byte) string {
	t.Helper()
	xorriso := testutil.RequireCommand(t, "xorriso")
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	for p, c := range files {
		full := filepath.Join(src, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, c, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	iso := filepath.Join(dir, "ctx.iso")
	if out, err := exec.Command(xorriso, "-as", "mkisofs", "-quiet", "-o", iso, "-V", label, "-R", "-J", src).CombinedOutput(); err != nil {
		t.Fatalf("xorriso: %v\n%s", err, out)
	}
	return iso
}

func injectTarGz(t *testing.T, name, content string) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg})
	tw.Write([]byte(content))
	tw.Close()
	zw.Close()
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

// proxyTo is an HTTP proxy that forwards every request to the repository
// server and counts the requests.
func proxyTo(t *testing.T, r *osRepo) (*httptest.Server, *counter) {
	c := &counter{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		c.inc()
		u := r.srv.URL + req.URL.Path
		resp, err := http.Get(u)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv, c
}

// TestConfigDrive: user data from a ConfigDrive; the proxy value with ';'
// reaches the client intact (and is used: the proxy sees the requests);
// cernvm_inject is applied once.
func TestConfigDrive(t *testing.T) {
	requireVM(t)
	r := newOSRepo(t)
	proxy, hits := proxyTo(t, r)
	ud := "#cloud-config\nusers: []\n[ucernvm-begin]\r\ncvmfs_http_proxy=http://10.0.2.101:3128;DIRECT\r\n" +
		"cernvm_inject=" + injectTarGz(t, "injected.txt", "hello-inject") + "\r\n[ucernvm-end]\r\n"
	iso := makeISO(t, "config-2", map[string][]byte{"openstack/latest/user_data": []byte(ud)})
	disk := sparseDisk(t, 1<<30)
	drives := []qemu.Drive{{File: disk}, {File: iso, ReadOnly: true}}
	net := func() *qemu.Net {
		return &qemu.Net{GuestFwd: []qemu.GuestFwd{{GuestAddr: "10.0.2.101:3128", Host: strings.TrimPrefix(proxy.URL, "http://")}}}
	}
	vm := bootVM(t, r, vmOpts{disks: drives, net: net(), append: "ucvmtest.rminjected"})
	marker(t, vm, `Contextualizing VM\.\.\. ConfigDrive`)
	marker(t, vm, `Injecting files\.\.\. check`)
	marker(t, vm, `UCVM-BOOTSTRAP root=/root src=ConfigDrive`)
	marker(t, vm, `Pinning core file set\.\.\. check`)
	marker(t, vm, `UCVM-SOURCE ConfigDrive`)
	marker(t, vm, `UCVM-UCONTEXT _UCONTEXT_CVMFS_HTTP_PROXY='http://10\.0\.2\.101:3128;DIRECT'`)
	marker(t, vm, `UCVM-CONF CVMFS_HTTP_PROXY='http://10\.0\.2\.101:3128;DIRECT'`)
	marker(t, vm, `UCVM-INJECTED hello-inject`)
	marker(t, vm, `UCVM-PINNED failed 1`)
	marker(t, vm, `UCVM-OS-DONE`)
	waitOff(t, vm)
	if hits.get() == 0 {
		t.Fatal("the proxy from the user data was not used")
	}

	vm = bootVM(t, r, vmOpts{disks: drives, net: net()})
	marker(t, vm, `UCVM-OS-DONE`)
	waitOff(t, vm)
	if c := vm.Console(); strings.Contains(c, "UCVM-INJECTED") || strings.Contains(c, "Injecting files") {
		t.Fatal("cernvm_inject applied a second time")
	}
}

// TestOpenNebulaContext: a context.sh CD gives static network settings
// (ETH0_*) and base64 EC2_USER_DATA.
func TestOpenNebulaContext(t *testing.T) {
	requireVM(t)
	r := newOSRepo(t)
	ud := "[ucernvm-begin]\ncvm_cluster_pin=ab|cd\nresize_rootfs=off\n[ucernvm-end]\n"
	ctxsh := fmt.Sprintf("ETH0_MAC=\"52:54:00:12:34:56\"\nETH0_IP=\"10.0.2.15\"\nETH0_MASK=\"255.255.255.0\"\n"+
		"ETH0_GATEWAY=\"10.0.2.2\"\nDNS=\"10.0.2.3\"\nEC2_USER_DATA=\"%s\"\nONE_CONTEXT_PATH=\"/var/lib/amiconfig\"\n",
		base64.StdEncoding.EncodeToString([]byte(ud)))
	iso := makeISO(t, "CONTEXT", map[string][]byte{"context.sh": []byte(ctxsh)})
	// A second medium with extra user data (overrides) and a pickup tarball.
	pickup, _ := base64.StdEncoding.DecodeString(injectTarGz(t, "picked-up.txt", "from-pickup"))
	extra := makeISO(t, "EXTRA", map[string][]byte{
		"cernvm/extra-user-data": []byte("[ucernvm-begin]\ncvm_cluster_pin=extra-wins\n[ucernvm-end]\n"),
		"cernvm/pickup.tar.gz":   pickup})
	vm := bootVM(t, r, vmOpts{disks: []qemu.Drive{{File: sparseDisk(t, 1<<30)}, {File: iso, ReadOnly: true}, {File: extra, ReadOnly: true}},
		append: "ucvmtest.extra"})
	marker(t, vm, `Starting networking\.\.\. check \(using static network settings\)`)
	marker(t, vm, `Contextualizing VM\.\.\. OpenNebula`)
	marker(t, vm, `Looking for extra context\.\.\. /dev/vdc /dev/vdc\(pickup\)`)
	marker(t, vm, `UCVM-EXTRA _UCONTEXT_CVM_CLUSTER_PIN='extra-wins'`)
	marker(t, vm, `UCVM-PICKUP from-pickup`)
	marker(t, vm, `UCVM-UCONTEXT _UCONTEXT_CVM_CLUSTER_PIN='ab\|cd'`)
	marker(t, vm, `UCVM-UCONTEXT _UCONTEXT_RESIZE_ROOTFS='0'`)
	marker(t, vm, `UCVM-OS-DONE`)
	waitOff(t, vm)
}

// TestMalformedUserData: broken user data gives one clear console line and
// the boot continues.
func TestMalformedUserData(t *testing.T) {
	requireVM(t)
	r := newOSRepo(t)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(bytes.Repeat([]byte("[ucernvm-begin]\ncvmfs_tag=x\n"), 100))
	zw.Close()
	bad := buf.Bytes()[:40]
	iso := makeISO(t, "config-2", map[string][]byte{"openstack/latest/user_data": bad})
	vm := bootVM(t, r, vmOpts{disks: []qemu.Drive{{File: sparseDisk(t, 1<<30)}, {File: iso, ReadOnly: true}}})
	marker(t, vm, `\[WRN\] malformed user data from ConfigDrive: .*gzip`)
	marker(t, vm, `UCVM-OS-INIT release=release-1`)
	marker(t, vm, `UCVM-OS-DONE`)
	waitOff(t, vm)
}
