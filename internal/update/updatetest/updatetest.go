// Package updatetest builds what `ucvm update` tests need: a real
// repository (internal/repo + internal/publish) served on 127.0.0.1 by
// internal/serve, with an OS tree under os/ and bootloader update packs
// under update-packs/, and a fake machine root with the /mnt/.rw layout
// pinned to a published revision.
package updatetest

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/boot"
	"github.com/ucvm/ucvm/internal/kexec"
	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/repo"
	"github.com/ucvm/ucvm/internal/serve"
)

// FQRN of the test repository.
const FQRN = "update.ucvm.local"

// Fixture is a served repository and a machine root.
type Fixture struct {
	t                 testing.TB
	Src, Storage, Key string
	keys              string
	Root              string // machine root; scratch disk at Root/mnt/.rw
	RW                string
	URL               string
	writes            int
}

// New creates the repository (revision 1, empty), serves it and lays out
// a machine root whose bootloader runs version bootVersion.
func New(t testing.TB, bootVersion string) *Fixture {
	d := t.TempDir()
	f := &Fixture{t: t, Src: filepath.Join(d, "src"), Storage: filepath.Join(d, "storage"), keys: filepath.Join(d, "keys"), Root: filepath.Join(d, "root")}
	f.Key = filepath.Join(f.keys, FQRN+".pub")
	f.RW = filepath.Join(f.Root, "mnt/.rw")
	if _, _, err := repo.Create(FQRN, f.Storage, f.keys, time.Now()); err != nil {
		t.Fatal(err)
	}
	r, err := serve.Discover(f.Storage)
	if err != nil {
		t.Fatal(err)
	}
	h, err := serve.NewHandler([]serve.Repo{r}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h) // listens on 127.0.0.1
	t.Cleanup(func() { srv.Close(); h.Close() })
	f.URL = srv.URL + "/cvmfs/@fqrn@"
	for _, d := range []string{"aux/keys/" + FQRN, boot.DirPersistent, "kexec", "../../etc"} {
		if err := os.MkdirAll(filepath.Join(f.RW, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	f.Write("mnt/.rw/aux/update.conf", "# written by the test\nfqrn="+FQRN+"\nserver_urls="+f.URL+"\nkeys="+f.Key+"\n")
	f.Write("mnt/.rw/"+boot.VersionFile, bootVersion+"\n")
	return f
}

// Write writes a file below the machine root.
func (f *Fixture) Write(rel, data string) {
	f.t.Helper()
	p := filepath.Join(f.Root, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

// SrcFile writes a file into the source tree of the next publish. Every
// write gets a later mtime (whole seconds), so that the publisher's quick
// check (size, mtime, mode) never mistakes a rewritten file for unchanged.
func (f *Fixture) SrcFile(rel string, data []byte) {
	f.t.Helper()
	p := filepath.Join(f.Src, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		f.t.Fatal(err)
	}
	f.writes++
	mt := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(f.writes) * time.Second)
	if err := os.Chtimes(p, mt, mt); err != nil {
		f.t.Fatal(err)
	}
}

// Publish publishes the source tree (tag may be empty) and returns the new
// root hash.
func (f *Fixture) Publish(tag string) string {
	f.t.Helper()
	res, err := publish.Publish(context.Background(), publish.Options{FQRN: FQRN, Storage: f.Storage, Keys: f.keys, Source: f.Src, Tag: tag})
	if err != nil {
		f.t.Fatal(err)
	}
	return res.Manifest.RootCatalog.String()
}

// Pin writes aux/cvmfs_snapshot as the bootloader does after a mount.
func (f *Fixture) Pin(rootHash, tag string) {
	f.t.Helper()
	if err := boot.WriteSnapshot(f.RW, boot.Snapshot{RootHash: rootHash, Tag: tag}); err != nil {
		f.t.Fatal(err)
	}
}

// Pack builds an update pack tar (apply, kernel, initrd) of version and
// returns it with its sha256.
func Pack(version string) ([]byte, string) {
	a := kexec.Apply{Version: version, Kernel: "vmlinuz-6.1.0-test", Initrd: "initrd." + version}
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, m := range []struct{ name, data string }{{"apply", a.String()}, {a.Initrd, "initrd of " + version}, {a.Kernel, "bzImage of " + version}} {
		tw.WriteHeader(&tar.Header{Name: m.name, Mode: 0o644, Size: int64(len(m.data)), Typeflag: tar.TypeReg})
		tw.Write([]byte(m.data))
	}
	tw.Close()
	sum := sha256.Sum256(b.Bytes())
	return b.Bytes(), hex.EncodeToString(sum[:])
}

// AddPack puts ucvm.<version>.tar and its .sha256 into update-packs/ of
// the source tree (published with the next Publish).
func (f *Fixture) AddPack(version string) []byte {
	data, sum := Pack(version)
	name := "ucvm." + version + ".tar"
	f.SrcFile("update-packs/"+name, data)
	f.SrcFile("update-packs/"+name+".sha256", []byte(sum+"  "+name+"\n"))
	return data
}
