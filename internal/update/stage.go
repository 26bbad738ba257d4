package update

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ucvm/ucvm/internal/image/sign"
	"github.com/ucvm/ucvm/internal/kexec"
	"github.com/ucvm/ucvm/internal/reader"
)

// Limits of an update pack (kernel + initrd are some tens of MB).
const (
	maxPackSize  = 1 << 30
	maxPackFiles = 16
)

// ErrBadPack is returned for a pack that fails verification or unpacking.
var ErrBadPack = errors.New("bad update pack")

// Staged reports a staged update pack.
type Staged struct {
	Pack   Pack
	SHA256 string
	Signed bool   // carried a signature block that verified
	Signer string // signer subject when Signed
	Apply  kexec.Apply
	Dir    string
}

// stagePack downloads p from the repository (content verified by the
// reader), checks the published sha256 and a signature block if present,
// and unpacks it into rw/kexec (replaced atomically).
func stagePack(ctx context.Context, r *reader.Repo, p Pack, rw, caFile string) (*Staged, error) {
	tmp, sum, err := download(ctx, r, p.Path, rw)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	st := &Staged{Pack: p, SHA256: sum}
	if p.SHA256 != "" && p.SHA256 != sum {
		return nil, fmt.Errorf("%w %s: sha256 %s, published %s", ErrBadPack, p.Path, sum, p.SHA256)
	}
	if err := checkSignature(tmp, caFile, st); err != nil {
		return nil, err
	}
	dir := filepath.Join(rw, kexec.Dir)
	work := dir + ".new"
	os.RemoveAll(work)
	if err := unpack(tmp, work); err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("%w %s: %w", ErrBadPack, p.Path, err)
	}
	a, err := kexec.ReadApply(work)
	if err == nil {
		err = a.Check(work)
	}
	if err == nil && a.Version != p.Version {
		err = fmt.Errorf("apply file says version %s, the repository says %s", a.Version, p.Version)
	}
	if err != nil {
		os.RemoveAll(work)
		return nil, fmt.Errorf("%w %s: %w", ErrBadPack, p.Path, err)
	}
	old := dir + ".old"
	os.RemoveAll(old)
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if err := os.Rename(work, dir); err != nil {
		return nil, err
	}
	os.RemoveAll(old)
	st.Apply, st.Dir = a, dir
	return st, nil
}

// download copies a repository file to a temporary file in dir and returns
// its name and sha256.
func download(ctx context.Context, r *reader.Repo, p, dir string) (string, string, error) {
	n, err := r.Lookup(ctx, p)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", p, err)
	}
	if !n.IsRegular() || n.Size > maxPackSize {
		return "", "", fmt.Errorf("%w %s: not a regular file of at most 1 GiB", ErrBadPack, p)
	}
	f, err := r.Open(ctx, n)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", p, err)
	}
	defer f.Close()
	out, err := os.CreateTemp(dir, ".update-pack-*.tar")
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(out, h), io.NewSectionReader(f, 0, f.Size())); err != nil {
		out.Close()
		os.Remove(out.Name())
		return "", "", fmt.Errorf("download %s: %w", p, err)
	}
	if err := out.Close(); err != nil {
		os.Remove(out.Name())
		return "", "", err
	}
	return out.Name(), hex.EncodeToString(h.Sum(nil)), nil
}

// checkSignature verifies a µCernVM signature block if the pack ends with
// one (its last 32 KiB hold JSON).
func checkSignature(path, caFile string, st *Staged) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	fi, _ := f.Stat()
	last := make([]byte, sign.BlockSize)
	signed := false
	if fi.Size() >= sign.TailSize {
		if _, err := f.ReadAt(last, fi.Size()-sign.BlockSize); err == nil {
			signed = bytes.HasPrefix(bytes.TrimLeft(last, " \t\r\n"), []byte("{"))
		}
	}
	f.Close()
	if !signed {
		return nil
	}
	var roots *x509.CertPool
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return fmt.Errorf("update pack CA: %w", err)
		}
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return fmt.Errorf("update pack CA %s: no PEM certificates", caFile)
		}
	}
	s, err := sign.Verify(path, sign.VerifyOptions{Roots: roots})
	if err != nil {
		return fmt.Errorf("%w %s: %w (set ca= in %s to the signer's CA)", ErrBadPack, st.Pack.Path, err, ConfigFile)
	}
	st.Signed, st.Signer = true, sign.OpenSSLSubject(s.Certs[0].RawSubject)
	return nil
}

// unpack extracts the flat tar of regular files into dir.
func unpack(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tr := tar.NewReader(f)
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("tar: %w", err)
		}
		if n >= maxPackFiles {
			return fmt.Errorf("more than %d members", maxPackFiles)
		}
		name := filepath.Clean(h.Name)
		if h.Typeflag != tar.TypeReg || name != filepath.Base(name) || name == "." || name == ".." {
			return fmt.Errorf("member %q: want plain regular files only", h.Name)
		}
		if err := writeMember(filepath.Join(dir, name), tr, h.Size); err != nil {
			return err
		}
	}
}

func writeMember(path string, r io.Reader, size int64) error {
	out, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("member %s: %w", filepath.Base(path), err)
	}
	if _, err := io.CopyN(out, r, size); err != nil {
		out.Close()
		return fmt.Errorf("member %s: %w", filepath.Base(path), err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
