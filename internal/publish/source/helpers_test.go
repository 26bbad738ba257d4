package source

import (
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/testutil"
)

// oddName contains a tab, a newline, a backslash and a non-UTF-8 byte.
const oddName = "odd\tname\nwith\\back\xff"

// mkTree builds a directory with every entry kind; devices and ownership
// need root.
func mkTree(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "src")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	write := func(rel string, data []byte, mode os.FileMode) {
		t.Helper()
		p := filepath.Join(root, rel)
		must(os.MkdirAll(filepath.Dir(p), 0o755))
		must(os.WriteFile(p, data, mode))
		must(os.Chmod(p, mode))
	}
	write("README", []byte("hello\n"), 0o644)
	write("empty", nil, 0o600)
	big := make([]byte, 5<<20+3)
	for i := range big {
		big[i] = byte(i * 7 >> 3)
	}
	write("sub/big.bin", big, 0o644)
	write("sub/deeper/x", []byte("x"), 0o755)
	write(oddName, []byte("odd"), 0o644)
	write("modes/suid", []byte("s"), 0o4755|os.ModeSetuid)
	must(os.Chmod(filepath.Join(root, "modes/suid"), 0o755|os.ModeSetuid))
	must(os.Mkdir(filepath.Join(root, "modes/sticky"), 0o755))
	must(os.Chmod(filepath.Join(root, "modes/sticky"), 0o777|os.ModeSticky))
	write("modes/sgid", []byte("g"), 0o755)
	must(os.Chmod(filepath.Join(root, "modes/sgid"), 0o2755|os.ModeSetgid))
	must(os.Symlink("$(CVMFS_TEST_VAR:-/usr)/bin", filepath.Join(root, "variant")))
	must(os.Symlink("sub/big.bin", filepath.Join(root, "link")))
	// Hard links: three in links/, one across directories.
	write("links/a", []byte("linked content\n"), 0o644)
	must(os.Link(filepath.Join(root, "links/a"), filepath.Join(root, "links/b")))
	must(os.Link(filepath.Join(root, "links/a"), filepath.Join(root, "links/c")))
	must(os.Link(filepath.Join(root, "links/a"), filepath.Join(root, "sub/xdir")))
	write("links/p1", []byte("pair"), 0o644)
	must(os.Link(filepath.Join(root, "links/p1"), filepath.Join(root, "other_p1")))
	must(unix.Mkfifo(filepath.Join(root, "fifo"), 0o644))
	ln, err := net.Listen("unix", filepath.Join(root, "sock"))
	must(err)
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if os.Geteuid() == 0 {
		must(unix.Mknod(filepath.Join(root, "chardev"), unix.S_IFCHR|0o644, int(unix.Mkdev(1, 3))))
		must(unix.Mknod(filepath.Join(root, "blockdev"), unix.S_IFBLK|0o640, int(unix.Mkdev(7, 0))))
		must(os.Lchown(filepath.Join(root, "sub/deeper/x"), 1234, 5678))
		must(os.Lchown(filepath.Join(root, "variant"), 42, 43))
	}
	mt := time.Unix(1700000000, 123456789)
	must(os.Chtimes(filepath.Join(root, "README"), mt, mt))
	return root
}

// xattrsSupported checks user.* xattrs on the file system of dir.
func xattrsSupported(t *testing.T, dir string) bool {
	p := filepath.Join(dir, ".xattr-probe")
	os.WriteFile(p, nil, 0o644)
	defer os.Remove(p)
	return unix.Lsetxattr(p, "user.probe", []byte("1"), 0) == nil
}

// scanAll scans and returns the tree and the SHA-1 of every delivered content.
func scanAll(t *testing.T, s Source) (*Tree, map[string]string) {
	t.Helper()
	var mu sync.Mutex
	sums := map[string]string{}
	tree, err := s.Scan(func(e *Entry, r io.Reader) error {
		h := sha1.New()
		n, err := io.Copy(h, r)
		if err != nil {
			return err
		}
		if n != e.Size {
			return errors.New("size mismatch for " + e.Path)
		}
		mu.Lock()
		defer mu.Unlock()
		if _, dup := sums[e.Path]; dup {
			t.Errorf("content of %q delivered twice", e.Path)
		}
		sums[e.Path] = hex.EncodeToString(h.Sum(nil))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree, sums
}

func requireRootOrSkipDevices(t *testing.T) bool {
	if os.Geteuid() != 0 {
		if testutil.InCI() {
			t.Fatal("CI runs as root; device nodes must be tested")
		}
		return false
	}
	return true
}
