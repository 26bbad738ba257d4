package update

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func tarOf(members ...*tar.Header) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, h := range members {
		tw.WriteHeader(h)
		if h.Typeflag == tar.TypeReg {
			tw.Write(make([]byte, h.Size))
		}
	}
	tw.Close()
	return b.Bytes()
}

func TestUnpackRejects(t *testing.T) {
	for name, data := range map[string][]byte{
		"traversal": tarOf(&tar.Header{Name: "../evil", Size: 1, Typeflag: tar.TypeReg, Mode: 0o644}),
		"subdir":    tarOf(&tar.Header{Name: "a/b", Size: 1, Typeflag: tar.TypeReg, Mode: 0o644}),
		"symlink":   tarOf(&tar.Header{Name: "apply", Linkname: "/etc/shadow", Typeflag: tar.TypeSymlink}),
		"duplicate": tarOf(&tar.Header{Name: "x", Size: 1, Typeflag: tar.TypeReg}, &tar.Header{Name: "x", Size: 1, Typeflag: tar.TypeReg}),
		"garbage":   []byte("this is not a tar archive at all, but it is long enough to look at...................................................................................................................................................................................................................................................................................................................................................................................................................................................................................."),
	} {
		p := filepath.Join(t.TempDir(), "p.tar")
		os.WriteFile(p, data, 0o644)
		if err := unpack(p, filepath.Join(t.TempDir(), "out")); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzUnpack: whatever the bytes, unpack only creates regular files
// directly inside its directory.
func FuzzUnpack(f *testing.F) {
	f.Add(tarOf(&tar.Header{Name: "apply", Size: 3, Typeflag: tar.TypeReg, Mode: 0o644}))
	f.Add(tarOf(&tar.Header{Name: "../x", Size: 1, Typeflag: tar.TypeReg}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		d := t.TempDir()
		p := filepath.Join(d, "p.tar")
		os.WriteFile(p, data, 0o644)
		out := filepath.Join(d, "out")
		_ = unpack(p, out)
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.Name() != "p.tar" && e.Name() != "out" {
				t.Fatalf("unpack created %s outside its directory", e.Name())
			}
		}
		inside, _ := os.ReadDir(out)
		for _, e := range inside {
			if !e.Type().IsRegular() {
				t.Fatalf("unpack created non-regular %s", e.Name())
			}
		}
	})
}
