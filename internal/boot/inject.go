package boot

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// ErrUnsafeArchive is returned for archive entries that would escape the
// target directory.
var ErrUnsafeArchive = errors.New("unsafe archive entry")

// maxInject bounds the size of what an injected archive may unpack.
const maxInject = 1 << 30

// DecodeInject decodes the cernvm_inject value (base64 of a .tar.gz).
func DecodeInject(v string) ([]byte, error) {
	v = strings.Join(strings.Fields(v), "")
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return nil, fmt.Errorf("cernvm_inject is not base64 (%w): encode the archive with base64 -w0", err)
	}
	return b, nil
}

// ExtractTarGz unpacks a gzip'ed tar archive into root. It refuses absolute
// names, ".." components, hard links and symlinks that point outside root,
// and device nodes. Every entry is checked before anything is written, so a
// bad archive leaves root untouched. It returns the extracted names.
func ExtractTarGz(data []byte, root string) ([]string, error) {
	hdrs, err := scanTar(data)
	if err != nil {
		return nil, err
	}
	for _, h := range hdrs {
		if err := checkEntry(h); err != nil {
			return nil, err
		}
	}
	zr, _ := gzip.NewReader(bytes.NewReader(data))
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, nil
		}
		if err != nil {
			return names, fmt.Errorf("inject: %w", err)
		}
		if err := writeEntry(root, h, tr); err != nil {
			return names, err
		}
		names = append(names, h.Name)
	}
}

func scanTar(data []byte) ([]*tar.Header, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("inject: not a gzip'ed tar archive: %w", err)
	}
	tr := tar.NewReader(zr)
	var hdrs []*tar.Header
	var total int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return hdrs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("inject: bad tar archive: %w", err)
		}
		total += h.Size
		if total > maxInject {
			return nil, fmt.Errorf("inject: archive unpacks to more than %d bytes", maxInject)
		}
		hdrs = append(hdrs, h)
	}
}

// cleanRel validates an archive path and returns it cleaned and relative.
func cleanRel(name string) (string, error) {
	n := strings.TrimPrefix(name, "./")
	if n == "" || n == "." {
		return ".", nil
	}
	if filepath.IsAbs(n) {
		return "", fmt.Errorf("%w: absolute path %q", ErrUnsafeArchive, name)
	}
	for _, c := range strings.Split(n, "/") {
		if c == ".." {
			return "", fmt.Errorf("%w: %q contains ..", ErrUnsafeArchive, name)
		}
	}
	return filepath.Clean(n), nil
}

func checkEntry(h *tar.Header) error {
	rel, err := cleanRel(h.Name)
	if err != nil {
		return err
	}
	switch h.Typeflag {
	case tar.TypeReg, tar.TypeDir, tar.TypeXGlobalHeader:
	case tar.TypeSymlink:
		target := h.Linkname
		if !filepath.IsAbs(target) {
			target = filepath.Join(filepath.Dir(rel), target)
		}
		// An absolute target is resolved inside the new root at run time,
		// but we still refuse it as the original root's view differs.
		if filepath.IsAbs(h.Linkname) || target == ".." || strings.HasPrefix(target, "../") {
			return fmt.Errorf("%w: symlink %q -> %q leaves the root", ErrUnsafeArchive, h.Name, h.Linkname)
		}
	case tar.TypeLink:
		if _, err := cleanRel(h.Linkname); err != nil {
			return fmt.Errorf("%w: hard link %q -> %q", ErrUnsafeArchive, h.Name, h.Linkname)
		}
	default:
		return fmt.Errorf("%w: %q has unsupported type %q", ErrUnsafeArchive, h.Name, string(h.Typeflag))
	}
	return nil
}

func writeEntry(root string, h *tar.Header, r io.Reader) error {
	rel, _ := cleanRel(h.Name)
	dst := filepath.Join(root, rel)
	if err := noSymlinkParents(root, rel); err != nil {
		return err
	}
	mode := os.FileMode(h.Mode & 0o7777)
	switch h.Typeflag {
	case tar.TypeDir:
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		return os.Chmod(dst, mode|0o100)
	case tar.TypeReg:
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		os.Remove(dst)
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
		_ = os.Lchown(dst, h.Uid, h.Gid)
		return os.Chmod(dst, mode)
	case tar.TypeSymlink:
		os.Remove(dst)
		return os.Symlink(h.Linkname, dst)
	case tar.TypeLink:
		src, _ := cleanRel(h.Linkname)
		os.Remove(dst)
		return os.Link(filepath.Join(root, src), dst)
	}
	return nil
}

// noSymlinkParents refuses to write through a symlink that already exists
// in root (e.g. an archive with "a -> /etc" then "a/passwd").
func noSymlinkParents(root, rel string) error {
	p := root
	parts := strings.Split(rel, string(filepath.Separator))
	for _, c := range parts[:len(parts)-1] {
		p = filepath.Join(p, c)
		if st, err := os.Lstat(p); err == nil && st.Mode()&os.ModeSymlink != 0 {
			t, _ := os.Readlink(p)
			if filepath.IsAbs(t) || strings.HasPrefix(filepath.Clean(filepath.Join(filepath.Dir(p), t)), root+"/") == false {
				return fmt.Errorf("%w: %q goes through symlink %s -> %s", ErrUnsafeArchive, rel, p, t)
			}
		}
	}
	return nil
}
