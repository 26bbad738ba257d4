package publish_test

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/repotest"
)

// serveStorage serves the fixture's storage with ucvm's own HTTP server on
// 127.0.0.1 and returns a reader source through the download manager.
func (f *fixture) serveStorage(t *testing.T) reader.Source {
	src, _ := repotest.Serve(t, f.storage, fqrn)
	return src
}

// TestRoundTripHTTP publishes every entry kind (a 50 MB random file that is
// chunked, nested catalogs, odd names, hard links, devices, xattrs) and reads
// it back through `ucvm serve` on 127.0.0.1.
func TestRoundTripHTTP(t *testing.T) {
	f := newFixture(t)
	f.variedTree(50 << 20)
	f.publish("v1")
	assertSame(t, "listing over HTTP", dirListing(t, f.src), f.listing(f.serveStorage(t), "v1"))
}

// TestPublishTarStdin publishes the same tree as a tar stream on standard
// input (GNU tar with xattrs) and gets the same listing as from the directory.
func TestPublishTarStdin(t *testing.T) {
	tarBin, err := exec.LookPath("tar")
	if err != nil {
		t.Skip("no tar")
	}
	f := newFixture(t)
	f.variedTree(6 << 20)
	var buf bytes.Buffer
	cmd := exec.Command(tarBin, "--xattrs", "--numeric-owner", "-C", f.src, "-cf", "-", ".")
	cmd.Stdout = &buf
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	_, err = publish.Publish(context.Background(), publish.Options{FQRN: fqrn, Storage: f.storage, Keys: f.keys, Source: "-", Stdin: &buf})
	if err != nil {
		t.Fatal(err)
	}
	want := dirListing(t, f.src)
	// tar keeps mtimes in whole seconds and the root directory is implied.
	assertSame(t, "listing of a tar publish", want, f.listing(reader.DirSource{Dir: f.storage}, ""))
	// and as a .tar.gz file
	gz := filepath.Join(t.TempDir(), "src.tar.gz")
	if out, err := exec.Command(tarBin, "--xattrs", "--numeric-owner", "-C", f.src, "-czf", gz, ".").CombinedOutput(); err != nil {
		t.Fatal(err, string(out))
	}
	if _, err := publish.Publish(context.Background(), publish.Options{FQRN: fqrn, Storage: f.storage, Keys: f.keys, Source: gz}); err != nil {
		t.Fatal(err)
	}
	assertSame(t, "listing of a .tar.gz publish", want, f.listing(reader.DirSource{Dir: f.storage}, ""))
}
