package source

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/testutil"
)

func contentSum(e *Entry, sums map[string]string) string {
	if e.ContentOf != "" {
		return sums[e.ContentOf]
	}
	return sums[e.Path]
}

// compareTrees checks that two sources describe the same file system
// (skipping paths in skip; directory sizes are not compared).
func compareTrees(t *testing.T, a, b *Tree, sa, sb map[string]string, skip map[string]bool) {
	t.Helper()
	n := 0
	for _, ea := range a.Entries {
		if skip[ea.Path] {
			continue
		}
		n++
		eb := b.Lookup(ea.Path)
		if eb == nil {
			t.Errorf("%q missing from the archive", ea.Path)
			continue
		}
		ka := [...]any{ea.Mode, ea.Mtime, ea.MtimeNS, ea.UID, ea.GID, ea.Symlink, ea.Rdev, ea.LinkCount, ea.LinkGroup > 0}
		kb := [...]any{eb.Mode, eb.Mtime, eb.MtimeNS, eb.UID, eb.GID, eb.Symlink, eb.Rdev, eb.LinkCount, eb.LinkGroup > 0}
		if ka != kb {
			t.Errorf("%q: dir %v, tar %v", ea.Path, ka, kb)
		}
		if !ea.IsDir() && ea.Size != eb.Size {
			t.Errorf("%q: size %d vs %d", ea.Path, ea.Size, eb.Size)
		}
		if !reflect.DeepEqual(ea.Xattrs, eb.Xattrs) {
			t.Errorf("%q: xattrs %q vs %q", ea.Path, ea.Xattrs, eb.Xattrs)
		}
		if ea.IsRegular() && contentSum(ea, sa) != contentSum(eb, sb) {
			t.Errorf("%q: content differs", ea.Path)
		}
	}
	if got := len(b.Entries); got != n {
		t.Errorf("archive has %d entries, directory %d", got, n)
	}
}

func TestGNUTarRoundTrip(t *testing.T) {
	tarBin := testutil.RequireCommand(t, "tar")
	root := mkTree(t)
	xattrs := xattrsSupported(t, root)
	if xattrs {
		os.WriteFile(filepath.Join(root, "xa"), []byte("x"), 0o644)
		exec.Command("setfattr", "-n", "user.k", "-v", "v", filepath.Join(root, "xa")).Run()
	}
	os.Remove(filepath.Join(root, "sock")) // tar cannot store sockets
	// Directories' mtimes must not change after the walk below.
	dirTree, dirSums := scanAll(t, must(NewDir(root, Options{Xattrs: xattrs})))
	for _, gz := range []bool{false, true} {
		arch := filepath.Join(t.TempDir(), "a.tar")
		args := []string{"--format=posix", "--xattrs", "--xattrs-include=*", "-C", root, "-cf", arch, "."}
		if gz {
			args = append([]string{"-z"}, args...)
			arch2 := arch + ".gz"
			args[len(args)-2] = arch2
			arch = arch2
		}
		if out, err := exec.Command(tarBin, args...).CombinedOutput(); err != nil {
			t.Fatalf("tar: %v\n%s", err, out)
		}
		src, err := Open(arch, Options{Xattrs: xattrs})
		if err != nil {
			t.Fatal(err)
		}
		tarTree, tarSums := scanAll(t, src)
		src.Close()
		compareTrees(t, dirTree, tarTree, dirSums, tarSums, nil)
		checkOrder(t, tarTree)
	}
}

func TestTarFromStdin(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mt := time.Unix(1600000000, 5)
	tw.WriteHeader(&tar.Header{Name: "a/b/file", Mode: 0o640, Size: 3, ModTime: mt, Typeflag: tar.TypeReg, Uid: 7, Gid: 8, Format: tar.FormatPAX,
		PAXRecords: map[string]string{"SCHILY.xattr.user.k": "v", "SCHILY.xattr.trusted.overlay.opaque": "y"}})
	tw.Write([]byte("abc"))
	tw.WriteHeader(&tar.Header{Name: "a/b/hl", Typeflag: tar.TypeLink, Linkname: "./a/b/file", ModTime: mt})
	tw.WriteHeader(&tar.Header{Name: "a/dev", Typeflag: tar.TypeBlock, Devmajor: 8, Devminor: 1, Mode: 0o660, ModTime: mt})
	tw.WriteHeader(&tar.Header{Name: "./a/", Typeflag: tar.TypeDir, Mode: 0o700, ModTime: mt})
	tw.Close()
	src, err := Open("-", Options{Xattrs: true, Stdin: &buf})
	if err != nil {
		t.Fatal(err)
	}
	tree, sums := scanAll(t, src)
	paths := []string{}
	for _, e := range tree.Entries {
		paths = append(paths, e.Path)
	}
	if strings.Join(paths, " ") != " /a /a/b /a/b/file /a/b/hl /a/dev" {
		t.Fatalf("order %q", paths)
	}
	if a := tree.Lookup("/a"); a.Mode&0o777 != 0o700 {
		t.Fatalf("explicit dir after implicit creation: %o", a.Mode)
	}
	if b := tree.Lookup("/a/b"); b.Mode&0o777 != 0o755 || b.Mtime != mt.Unix() {
		t.Fatalf("implicit dir %+v", b)
	}
	f, hl := tree.Lookup("/a/b/file"), tree.Lookup("/a/b/hl")
	if f.LinkGroup == 0 || hl.LinkGroup != f.LinkGroup || f.LinkCount != 2 || hl.ContentOf != "/a/b/file" || hl.Size != 3 || len(sums) != 1 {
		t.Fatalf("hard link %+v %+v %v", f, hl, sums)
	}
	if string(f.Xattrs["user.k"]) != "v" || len(f.Xattrs) != 1 || f.UID != 7 || f.MtimeNS != 5 {
		t.Fatalf("file %+v", f)
	}
	if d := tree.Lookup("/a/dev"); d.Type() != 'b' || d.Rdev != 0x801 {
		t.Fatalf("dev %+v", d)
	}
}

func tarOf(t testing.TB, hs ...*tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hs {
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(make([]byte, h.Size))
	}
	tw.Close()
	return buf.Bytes()
}

func TestTarBadInput(t *testing.T) {
	cases := map[string]struct {
		data []byte
		want error
		msg  string
	}{
		"dotdot":    {tarOf(t, &tar.Header{Name: "a/../../etc/passwd"}), ErrUnsafePath, "a/../../etc/passwd"},
		"absolute":  {tarOf(t, &tar.Header{Name: "/etc/passwd"}), ErrUnsafePath, "/etc/passwd"},
		"link out":  {tarOf(t, &tar.Header{Name: "l", Typeflag: tar.TypeLink, Linkname: "../x"}), ErrUnsafePath, "../x"},
		"dangling":  {tarOf(t, &tar.Header{Name: "l", Typeflag: tar.TypeLink, Linkname: "nope"}), nil, "not an earlier regular file"},
		"duplicate": {tarOf(t, &tar.Header{Name: "f"}, &tar.Header{Name: "./f"}), nil, "appears twice"},
		"below":     {tarOf(t, &tar.Header{Name: "f"}, &tar.Header{Name: "f/g"}), nil, "not a directory"},
		"empty":     {tarOf(t), ErrNotSource, "empty tar"},
		"truncated": {tarOf(t, &tar.Header{Name: "big", Size: 10000})[:2048], io.ErrUnexpectedEOF, "member big"},
		"garbage":   {[]byte(strings.Repeat("not a tar file ", 100)), nil, "reading tar"},
		"xattr":     {tarOf(t, &tar.Header{Name: "f", PAXRecords: map[string]string{"SCHILY.xattr.user.x": strings.Repeat("v", 300)}}), ErrXattr, "member f"},
	}
	for name, c := range cases {
		_, err := NewTar(bytes.NewReader(c.data), "in.tar", Options{Xattrs: true}).Scan(func(*Entry, io.Reader) error { return nil })
		if err == nil || (c.want != nil && !errors.Is(err, c.want)) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: err %v, want %v mentioning %q", name, err, c.want, c.msg)
		}
	}
}

func FuzzTar(f *testing.F) {
	f.Add(tarOf(f, &tar.Header{Name: "a/b", Size: 3}, &tar.Header{Name: "a/l", Typeflag: tar.TypeLink, Linkname: "a/b"}))
	f.Add(tarOf(f, &tar.Header{Name: "./", Typeflag: tar.TypeDir}, &tar.Header{Name: "s", Typeflag: tar.TypeSymlink, Linkname: "$(X)"}))
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		got := 0
		tree, err := NewTar(bytes.NewReader(data), "fuzz", Options{Xattrs: true}).Scan(func(e *Entry, r io.Reader) error {
			n, err := io.Copy(io.Discard, r)
			if err == nil && n != e.Size {
				t.Fatalf("%q: %d bytes for size %d", e.Path, n, e.Size)
			}
			got++
			return err
		})
		if err != nil {
			return
		}
		if tree.Root().Path != "" || !tree.Root().IsDir() {
			t.Fatal("root is not a directory")
		}
		for _, e := range tree.Entries[1:] {
			p := tree.Lookup(e.Parent())
			if p == nil || !p.IsDir() || strings.Contains(e.Path, "/../") || strings.Contains(e.Name, "/") || e.Name == "" {
				t.Fatalf("bad entry %q", e.Path)
			}
		}
	})
}
