package initrd

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/u-root/u-root/pkg/cpio"
	"github.com/xi2/xz" // decodes the x86 BCJ filter, as the kernel does

	"github.com/ucvm/ucvm/internal/image/imagetest"
	"github.com/ucvm/ucvm/internal/image/kernel"
	"github.com/ucvm/ucvm/internal/image/spec"
	"github.com/ucvm/ucvm/internal/qemu"
	"github.com/ucvm/ucvm/internal/testutil"
)

// testOptions returns inputs for an initrd; the layout tests use busybox as a
// stand-in /init (small, fast to compress), the boot test the real bootloader.
func testOptions(t *testing.T, realInit bool) Options {
	t.Helper()
	k := imagetest.Kernel(t)
	init := "/bin/busybox"
	if realInit {
		init = imagetest.Bootloader(t)
	}
	key := filepath.Join(testutil.FixtureRepo(t), "test.repo.local.pub")
	return Options{
		Init: init, StrongVersion: "2026.11-7.ucvm.x86_64", Kernel: k,
		Modules:  []string{"virtio_pci", "virtio_blk", "virtio_net", "crc32c_generic", "ext4", "overlay", "fuse"},
		Branch:   spec.Branch{Name: "test", FQRN: "test.repo.local", OSPath: "os", Servers: []string{"10.0.2.2:8000"}, Tag: "trunk"},
		KeyFiles: []string{key}, CACerts: "/etc/ssl/certs/ca-certificates.crt", Busybox: "/bin/busybox",
		PACHelper:   "/bin/busybox", // stand-in: any binary
		Compression: "zstd-fast", Epoch: 1_790_000_000,
	}
}

func readCPIO(t *testing.T, compressed []byte, comp string) map[string]cpio.Record {
	t.Helper()
	var r io.Reader = bytes.NewReader(compressed) // "none"
	switch comp {
	case "zstd", "zstd-fast":
		d, err := zstd.NewReader(bytes.NewReader(compressed))
		if err != nil {
			t.Fatal(err)
		}
		r = d
	case "xz":
		x, err := xz.NewReader(bytes.NewReader(compressed), 0)
		if err != nil {
			t.Fatal(err)
		}
		r = x
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := cpio.ReadAllRecords(cpio.Newc.Reader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]cpio.Record{}
	prev := ""
	for _, rec := range recs {
		if rec.Name <= prev {
			t.Fatalf("entries not sorted: %q after %q", rec.Name, prev)
		}
		prev = rec.Name
		m[rec.Name] = rec
	}
	return m
}

func content(t *testing.T, r cpio.Record) string {
	b, err := io.ReadAll(io.NewSectionReader(r.ReaderAt, 0, int64(r.FileSize)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestLayoutAndReproducible(t *testing.T) {
	o := testOptions(t, false)
	var a, b bytes.Buffer
	st, err := Build(o, &a)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(o, &b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two builds differ")
	}
	m := readCPIO(t, a.Bytes(), "zstd")
	o.Compression = "xz"
	var x bytes.Buffer
	if _, err := Build(o, &x); err != nil {
		t.Fatal(err)
	}
	if mx := readCPIO(t, x.Bytes(), "xz"); len(mx) != len(m) {
		t.Fatalf("xz initrd has %d entries, zstd %d", len(mx), len(m))
	}
	o.Compression = "zstd-fast"
	con := m["dev/console"]
	if con.Mode&cpio.S_IFMT != cpio.S_IFCHR || con.Rmajor != 5 || con.Rminor != 1 {
		t.Fatalf("dev/console: %+v", con.Info)
	}
	for _, d := range []string{"proc", "sys", "dev", "run", "tmp", "mnt"} {
		if m[d].Mode&cpio.S_IFMT != cpio.S_IFDIR {
			t.Errorf("missing dir %s", d)
		}
	}
	if v := content(t, m["version"]); v != o.StrongVersion+"\n" {
		t.Fatalf("version %q", v)
	}
	for name, rec := range m {
		if rec.MTime != uint64(o.Epoch) || rec.UID != 0 {
			t.Fatalf("%s: mtime %d uid %d", name, rec.MTime, rec.UID)
		}
	}
	mods := "lib/modules/" + o.Kernel.Version + "/"
	order := strings.Fields(content(t, m[mods+OrderFile]))
	if len(order) != len(st.Modules) || len(order) < 10 {
		t.Fatalf("order file %v", order)
	}
	seen := map[string]int{}
	for i, p := range order {
		if _, ok := m[mods+p]; !ok || !strings.HasSuffix(p, ".ko") {
			t.Fatalf("order names %s which is not in the archive as plain .ko", p)
		}
		seen[kernel.ModuleName(p)] = i
	}
	if seen["crc32c_generic"] >= seen["jbd2"] || seen["jbd2"] >= seen["ext4"] {
		t.Fatalf("crc32c must precede jbd2/ext4: %v", order)
	}
	if !strings.Contains(content(t, m["etc/ucvm/branch.json"]), `"fqrn": "test.repo.local"`) {
		t.Fatal("branch.json lacks fqrn")
	}
	for _, f := range []string{"etc/cvmfs/keys/test.repo.local.pub", "etc/ssl/certs/ca-certificates.crt", "bin/busybox", "init"} {
		if _, ok := m[f]; !ok {
			t.Errorf("missing %s", f)
		}
	}
	// the PAC helper is kept xz-compressed, for the bootloader to unpack
	helper, err := xz.NewReader(strings.NewReader(content(t, m[PACHelperPath])), 0)
	if err != nil {
		t.Fatalf("%s: %v", PACHelperPath, err)
	}
	want, _ := os.ReadFile(o.PACHelper)
	if got, err := io.ReadAll(helper); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s does not unpack to the helper: %v", PACHelperPath, err)
	}
	if st.CompressedBytes != int64(a.Len()) || st.InitBytes == 0 || st.ModuleBytes == 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestFastUnpackLayout: an initrd made to be fast to unpack (here
// "none"; lz4 alike) keeps busybox LZ4-compressed for the bootloader to
// unpack when needed (boot.BusyboxLZ4), not as bin/busybox.
func TestFastUnpackLayout(t *testing.T) {
	o := testOptions(t, false)
	o.Compression = "none"
	var a bytes.Buffer
	if _, err := Build(o, &a); err != nil {
		t.Fatal(err)
	}
	m := readCPIO(t, a.Bytes(), "none")
	if _, ok := m["bin/busybox"]; ok {
		t.Fatal("bin/busybox unpacked by the kernel")
	}
	want, _ := os.ReadFile(o.Busybox)
	got, err := io.ReadAll(lz4.NewReader(strings.NewReader(content(t, m[BusyboxLZ4Path]))))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s does not unpack to busybox: %v", BusyboxLZ4Path, err)
	}
	if _, ok := m[PACHelperPath]; !ok {
		t.Fatalf("no %s", PACHelperPath)
	}
}

// TestCompressors round-trips data through every encoder, the external
// tools (when installed) and the pure-Go fallbacks, and checks that xz
// streams carry the CRC32 check the kernel's decoder needs.
func TestCompressors(t *testing.T) {
	data := bytes.Repeat([]byte("hello initrd \x00\x01"), 5000)
	for _, fallback := range []bool{false, true} {
		if fallback {
			lookPath = func(string) (string, error) { return "", exec.ErrNotFound }
			t.Cleanup(func() { lookPath = exec.LookPath })
		}
		for _, c := range append(slices.Clone(Compressions), "xz-x86") {
			var buf bytes.Buffer
			enc, err := Compress(&buf, data, c)
			if _, lerr := exec.LookPath("lz4"); c == "lz4" && (fallback || lerr != nil) {
				if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), "apt-get install lz4") {
					t.Fatalf("lz4 without the tool: %v", err)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", c, err)
			}
			if strings.HasPrefix(c, "xz") && (buf.Len() < 8 || buf.Bytes()[7] != 0x01) {
				t.Fatalf("%s: xz stream flags % x, want CRC32 (0x01)", enc, buf.Bytes()[:8])
			}
			if got := decompress(t, c, buf.Bytes()); !bytes.Equal(got, data) {
				t.Fatalf("%s: round trip differs", enc)
			}
		}
	}
	if _, err := Compress(io.Discard, nil, "gzip"); !errors.Is(err, ErrInput) {
		t.Fatalf("bad compression: %v", err)
	}
}

func decompress(t *testing.T, c string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	var err error
	switch c {
	case "none":
		return b
	case "xz-x86":
		c = "xz"
	case "lz4": // the legacy frames the kernel reads; lz4 -d reads them too
		cmd := exec.Command("lz4", "-d", "-c")
		cmd.Stdin = bytes.NewReader(b)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("lz4 -d: %v", err)
		}
		if len(b) < 4 || !bytes.Equal(b[:4], []byte{0x02, 0x21, 0x4c, 0x18}) {
			t.Fatalf("lz4: magic % x, want the legacy frame magic", b[:4])
		}
		return out
	}
	if c == "xz" {
		r, err = xz.NewReader(bytes.NewReader(b), 0)
	} else {
		var d *zstd.Decoder
		d, err = zstd.NewReader(bytes.NewReader(b))
		r = d
	}
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBadInputs(t *testing.T) {
	o := testOptions(t, false)
	o.Modules = append(o.Modules, "no_such_mod")
	if _, err := Build(o, io.Discard); !errors.Is(err, kernel.ErrModuleNotFound) {
		t.Fatalf("missing module: %v", err)
	}
	o = testOptions(t, false)
	o.KeyFiles = []string{"/etc/hostname"}
	if _, err := Build(o, io.Discard); !errors.Is(err, ErrInput) {
		t.Fatalf("bad key: %v", err)
	}
}

// The initrd boots Debian's kernel to the Go /init banner (PVH fast path).
func TestBootsToBanner(t *testing.T) {
	testutil.RequireCommand(t, "qemu-system-x86_64")
	o := testOptions(t, true)
	// xz costs 1.5-3 s more of in-kernel decompression under TCG, but it
	// is the default, with the x86 filter when the kernel has it: booted.
	for _, comp := range []string{"zstd", "xz"} {
		t.Run(comp, func(t *testing.T) {
			o.Compression = comp
			img := filepath.Join(t.TempDir(), "initrd")
			f, _ := os.Create(img)
			st, err := Build(o, f)
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			if _, lerr := exec.LookPath("xz"); comp == "xz" && lerr == nil && !strings.Contains(st.Compressor, "--x86") {
				t.Fatalf("xz for Debian's kernel (CONFIG_XZ_DEC_X86=y) without the x86 filter: %s", st.Compressor)
			}
			vm := qemu.StartT(t, qemu.Config{Kernel: o.Kernel.Vmlinux, Initrd: img, Firmware: qemu.FirmwareQboot,
				Append: qemu.AppendDefaults + " quiet ucvm.poweroff=banner", Timeout: 90 * time.Second})
			vm.MustWaitFor(t, `ucvm bootloader 2026\.11-7\.ucvm\.x86_64`, 80*time.Second)
			if err := vm.WaitExit(30 * time.Second); err != nil {
				t.Fatal(err)
			}
		})
	}
}
