package image

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/image/imagetest"
	"github.com/ucvm/ucvm/internal/image/kernel"
	"github.com/ucvm/ucvm/internal/image/spec"
	"github.com/ucvm/ucvm/internal/testutil"
)

// testSpec is a two-branch spec; builds that are not booted use busybox as a
// stand-in /init (small and fast to compress), see bootSpec.
func testSpec(t *testing.T, formats ...string) *spec.Spec {
	t.Helper()
	testutil.RequireCommand(t, "xorriso", "mformat", "syslinux", "grub-mkimage", "qemu-img", "busybox")
	s := spec.Default()
	s.Formats = formats
	s.Modules = []string{"virtio_pci", "virtio_blk", "crc32c_generic", "ext4", "isofs"}
	s.Bootloader.Binary = "/bin/busybox"
	s.Branches = []spec.Branch{
		{Name: "test", FQRN: "test.repo.local", OSPath: "os", Servers: []string{"10.0.2.2:8000"}, Tag: "trunk",
			Keys: []string{filepath.Join(testutil.FixtureRepo(t), "test.repo.local.pub")}},
		{Name: "devel", FQRN: "cernvm-devel.cern.ch", OSPath: "cvm3", Servers: []string{"hepvm.cern.ch"}, Tag: "HEAD"},
	}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuildIsCompleteAndReproducible(t *testing.T) {
	imagetest.Kernel(t)
	s := testSpec(t, "iso", "hdd", "update")
	var outs [2]string
	for i := range outs {
		outs[i] = filepath.Join(t.TempDir(), "out")
		var progress bytes.Buffer
		rep, err := Build(context.Background(), s, Options{Out: outs[i], Progress: &progress})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Artifacts) != 6 || !strings.Contains(progress.String(), "[7/8] devel ucvm-devel."+s.StrongVersion()+".hdd") {
			t.Fatalf("artifacts %d, progress:\n%s", len(rep.Artifacts), progress.String())
		}
		if !strings.Contains(strings.Join(rep.Warnings, "\n"), "branch devel has no public keys") {
			t.Fatalf("warnings %v", rep.Warnings)
		}
		var txt bytes.Buffer
		rep.WriteText(&txt)
		t.Logf("report:\n%s", txt.String())
	}
	ents, _ := os.ReadDir(outs[0])
	if len(ents) != 12 {
		t.Fatalf("want 6 images + 6 .sha256, got %d entries", len(ents))
	}
	for _, e := range ents {
		a, _ := os.ReadFile(filepath.Join(outs[0], e.Name()))
		b, _ := os.ReadFile(filepath.Join(outs[1], e.Name()))
		if !bytes.Equal(a, b) || len(a) == 0 {
			t.Errorf("%s differs between two builds", e.Name())
		}
		if strings.HasSuffix(e.Name(), ".sha256") && !strings.HasSuffix(string(a), "  "+strings.TrimSuffix(e.Name(), ".sha256")+"\n") {
			t.Errorf("%s: %q", e.Name(), a)
		}
	}
}

func TestBadInputLeavesNothing(t *testing.T) {
	imagetest.Kernel(t)
	cases := map[string]struct {
		mutate func(*spec.Spec)
		want   error
		text   string
	}{
		"missing module": {func(s *spec.Spec) { s.Modules = append(s.Modules, "no_such_module") }, kernel.ErrModuleNotFound, "no_such_module"},
		"missing kernel": {func(s *spec.Spec) {
			s.Kernel = spec.Kernel{Source: "tree", Vmlinuz: "/nonexistent/vmlinuz", ModulesDir: "/nonexistent/lib/modules/6.1"}
		}, kernel.ErrNoKernel, "/nonexistent/vmlinuz"},
		"missing key": {func(s *spec.Spec) { s.Branches[0].Keys = []string{"/nonexistent.pub"} }, nil, "public key of test.repo.local"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s := testSpec(t, "iso", "hdd")
			c.mutate(s)
			out := filepath.Join(t.TempDir(), "out")
			_, err := Build(context.Background(), s, Options{Out: out})
			if err == nil || (c.want != nil && !errors.Is(err, c.want)) || !strings.Contains(err.Error(), c.text) {
				t.Fatalf("got %v, want %v mentioning %q", err, c.want, c.text)
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 {
				t.Fatalf("failed build left %d entries in %s", len(ents), out)
			}
		})
	}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	_, err := Build(context.Background(), testSpec(t, "iso"), Options{Out: filepath.Join(file, "out")})
	if !errors.Is(err, ErrOutput) {
		t.Fatalf("unwritable output: %v", err)
	}
}
