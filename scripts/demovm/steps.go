package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ucvm/ucvm/internal/image"
)

type demo struct {
	o         options
	fqrn, tag string
	iso       string
	server    *exec.Cmd
	serveLog  string
	res       bootResult
}

func (d *demo) path(p ...string) string { return filepath.Join(append([]string{d.o.work}, p...)...) }

func (d *demo) run(name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run()
}

// osTree builds (or reuses) the Debian tree at osroot/os and adds the demo
// contextualization: a unit that applies hostname and message from the
// user data the bootloader saved in /mnt/.rw/context/user-data.
func (d *demo) osTree() error {
	if err := os.MkdirAll(d.path("osroot"), 0o755); err != nil {
		return err
	}
	if err := d.run(filepath.Join(d.o.root, "scripts", "mkdebian.sh"), d.path("osroot", "os")); err != nil {
		return err
	}
	files := map[string]string{
		"os/usr/local/sbin/ucvm-demo-context":             contextScript,
		"os/etc/systemd/system/ucvm-demo-context.service": contextUnit,
		"os/etc/systemd/system/ucvm-demo-report.service":  reportUnit,
		".cvmfsdirtab":     "/os/usr/*\n/os/usr/share/*\n/os/var/*\n",
		"os/.cvmfscatalog": "",
	}
	for rel, content := range files {
		p := d.path("osroot", rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		mode := os.FileMode(0o644)
		if strings.Contains(rel, "sbin/") {
			mode = 0o755
		}
		if err := writeIfChanged(p, []byte(content), mode); err != nil {
			return err
		}
	}
	for _, unit := range []string{"ucvm-demo-context.service", "ucvm-demo-report.service"} {
		link := d.path("osroot", "os/etc/systemd/system/multi-user.target.wants", unit)
		if err := symlinkIfChanged("/etc/systemd/system/"+unit, link); err != nil {
			return err
		}
	}
	return nil
}

// writeIfChanged writes p only if its content or mode differs: a run
// that changes nothing leaves the tree's times alone, so publishing it
// again changes nothing and the boot pack stays valid.
func writeIfChanged(p string, content []byte, mode os.FileMode) error {
	if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, content) {
		if st, err := os.Stat(p); err == nil && st.Mode().Perm() == mode {
			return nil
		}
	}
	if err := os.WriteFile(p, content, mode); err != nil {
		return err
	}
	return os.Chmod(p, mode) // WriteFile keeps an existing file's mode
}

// symlinkIfChanged makes link point at target unless it already does.
func symlinkIfChanged(target, link string) error {
	if t, err := os.Readlink(link); err == nil && t == target {
		return nil
	}
	os.Remove(link)
	return os.Symlink(target, link)
}

func (d *demo) publish() error {
	if _, err := os.Stat(d.path("storage", ".cvmfspublished")); err != nil {
		os.RemoveAll(d.path("storage"))
		if err := d.run(d.o.ucvm, "repo", "create", d.fqrn, "--storage", d.path("storage"), "--keys", d.path("keys")); err != nil {
			return err
		}
	}
	return d.run(d.o.ucvm, "publish", d.fqrn, "--storage", d.path("storage"), "--keys", d.path("keys"),
		"--tag", d.tag, "--message", "Debian bookworm for the ucvm demo", d.path("osroot"))
}

// image builds the ISO of a one-branch spec pointing at the host's loopback
// server as QEMU user networking shows it (10.0.2.2).
func (d *demo) image() error {
	spec := fmt.Sprintf(`version: "%s"
release: 1
arch: x86_64
kernel:
  source: debian
modules: [sha256_ssse3, virtio_pci, virtio_blk, virtio_net, virtio_rng, crc32c_generic, ext4, overlay, fuse, loop, erofs, isofs, sr_mod, ata_piix, nls_cp437, nls_ascii, nls_utf8, vfat]
bootloader:
  package: ./cmd/ucvm-init
  module_root: %q
busybox: true
e2fsprogs: false
ca_certificates: /etc/ssl/certs/ca-certificates.crt
compression: lz4
kernel_params: ""
branches:
  - name: demo
    fqrn: %s
    os_path: os
    servers: ["10.0.2.2:%d"]
    cdn: []
    tag: %s
    keys: [%q]
formats: [iso]
`, time.Now().UTC().Format("2006.01"), d.o.root, d.fqrn, d.o.port, d.tag, d.path("keys", d.fqrn+".pub"))
	specFile := d.path("image.yaml")
	if err := os.WriteFile(specFile, []byte(spec), 0o644); err != nil {
		return err
	}
	if err := d.run(d.o.ucvm, "image", "build", specFile, "--out", d.path("image")); err != nil {
		return err
	}
	m, _ := filepath.Glob(d.path("image", "ucvm-demo.*.iso"))
	if len(m) == 0 {
		return fmt.Errorf("no ISO in %s", d.path("image"))
	}
	d.iso = m[len(m)-1]
	st, _ := os.Stat(d.iso)
	fmt.Printf("   %s: %.1f MB\n", filepath.Base(d.iso), float64(st.Size())/1e6)
	if st.Size() > image.BudgetISO {
		fmt.Println("   (over the size budget on purpose: the demo's initrd is lz4, which unpacks faster under emulation;")
		fmt.Println("   the default spec's xz image meets it, see docs/images.md \"Size budget\")")
	}
	return nil
}

func (d *demo) serve() error {
	d.serveLog = d.path("serve.log")
	logf, err := os.Create(d.serveLog)
	if err != nil {
		return err
	}
	ready := d.path("serve.ready")
	os.Remove(ready)
	d.server = exec.Command(d.o.ucvm, "serve", "--listen", fmt.Sprintf("127.0.0.1:%d", d.o.port), "--ready-file", ready, d.path("storage"))
	d.server.Stdout, d.server.Stderr = os.Stdout, logf
	d.server.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM} // never outlive the demo
	if err := d.server.Start(); err != nil {
		return err
	}
	for i := 0; i < 100; i++ {
		if st, err := os.Stat(ready); err == nil && st.Size() > 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("server did not become ready (see %s)", d.serveLog)
}

// fetched sums the bytes of successful responses in the access log.
func (d *demo) fetched() (int64, int) {
	f, err := os.Open(d.serveLog)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	var total int64
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var b int64
		if i := strings.Index(sc.Text(), " bytes="); i >= 0 {
			fmt.Sscanf(sc.Text()[i+7:], "%d", &b)
			total += b
			n++
		}
	}
	return total, n
}

func (d *demo) cleanup() {
	if d.server != nil && d.server.Process != nil {
		d.server.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { d.server.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			d.server.Process.Kill()
		}
	}
}

type state struct {
	ColdUpSeconds float64 `json:"cold_up_seconds"`
}

func (d *demo) loadState() state {
	var s state
	b, err := os.ReadFile(d.path("state.json"))
	if err == nil {
		json.Unmarshal(b, &s)
	}
	return s
}

func (d *demo) saveState(s state) {
	b, _ := json.Marshal(s)
	os.WriteFile(d.path("state.json"), b, 0o644)
}
