package keys

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// ErrNoKeys reports that no usable public key was found.
var ErrNoKeys = errors.New("no master public key found")

// Set is the key material of one repository.
type Set struct {
	Master      *rsa.PrivateKey // nil when only the public half is present
	MasterPub   *rsa.PublicKey
	Key         *rsa.PrivateKey
	CertPEM     []byte
	Certificate *x509.Certificate
}

// Paths returns the file names of the key material of fqrn in dir.
func Paths(dir, fqrn string) (master, pub, key, crt string) {
	b := filepath.Join(dir, fqrn)
	return b + ".masterkey", b + ".pub", b + ".key", b + ".crt"
}

// Generate creates a new master key pair and repository key + certificate.
func Generate(fqrn string) (*Set, error) {
	master, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	certPEM, cert, err := selfSigned(key, fqrn)
	if err != nil {
		return nil, err
	}
	return &Set{Master: master, MasterPub: &master.PublicKey, Key: key, CertPEM: certPEM, Certificate: cert}, nil
}

func selfSigned(key *rsa.PrivateKey, fqrn string) ([]byte, *x509.Certificate, error) {
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	now := time.Now().UTC()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: fqrn + " CernVM-FS Release Managers"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(1, 0, 0),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), cert, nil
}

// Write stores the set in dir; it refuses to overwrite any existing file.
func (s *Set) Write(dir, fqrn string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	master, pub, key, crt := Paths(dir, fqrn)
	for _, p := range []string{master, pub, key, crt} {
		if _, err := os.Lstat(p); err == nil {
			return fmt.Errorf("%s already exists: refusing to overwrite keys (remove it or use another --keys directory)", p)
		}
	}
	pubDER, err := x509.MarshalPKIXPublicKey(s.MasterPub)
	if err != nil {
		return err
	}
	files := []struct {
		path string
		mode os.FileMode
		data []byte
	}{
		{master, 0o600, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(s.Master)})},
		{pub, 0o644, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})},
		{key, 0o600, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(s.Key)})},
		{crt, 0o644, s.CertPEM},
	}
	for _, f := range files {
		if err := writeNew(f.path, f.data, f.mode); err != nil {
			return err
		}
	}
	return nil
}

func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// Load reads the key material of fqrn from dir. The master private key is
// optional (publishing needs only the repository key and certificate).
func Load(dir, fqrn string) (*Set, error) {
	master, pub, key, crt := Paths(dir, fqrn)
	s := &Set{}
	var err error
	if s.Key, err = LoadPrivate(key); err != nil {
		return nil, err
	}
	if s.CertPEM, err = os.ReadFile(crt); err != nil {
		return nil, fmt.Errorf("repository certificate: %w", err)
	}
	if s.Certificate, err = ParseCertificate(s.CertPEM); err != nil {
		return nil, fmt.Errorf("%s: %w", crt, err)
	}
	if !s.Key.PublicKey.Equal(s.Certificate.PublicKey) {
		return nil, fmt.Errorf("%s does not belong to %s: wrong keys for this repository", key, crt)
	}
	if _, err := os.Stat(master); err == nil {
		if s.Master, err = LoadPrivate(master); err != nil {
			return nil, err
		}
		s.MasterPub = &s.Master.PublicKey
	} else if pubs, err := LoadPublicFile(pub); err == nil {
		s.MasterPub = pubs
	}
	return s, nil
}

// LoadPrivate reads an RSA private key in PKCS#1 or PKCS#8 PEM.
func LoadPrivate(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%s: not a PEM private key", path)
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an RSA key", path)
	}
	return rk, nil
}

// ParseCertificate parses the first PEM certificate in data.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return nil, errors.New("no PEM certificate found")
		}
		if strings.HasSuffix(b.Type, "CERTIFICATE") {
			return x509.ParseCertificate(b.Bytes)
		}
	}
}

// Fingerprint returns the SHA-1 hash of the certificate's DER encoding.
func Fingerprint(c *x509.Certificate) hash.Hash {
	return hash.Sum(hash.SHA1, c.Raw)
}

// LoadPublicFile reads one PEM public key (SubjectPublicKeyInfo or PKCS#1).
func LoadPublicFile(path string) (*rsa.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, fmt.Errorf("%s: not a PEM public key", path)
	}
	if k, err := x509.ParsePKIXPublicKey(b.Bytes); err == nil {
		if rk, ok := k.(*rsa.PublicKey); ok {
			return rk, nil
		}
		return nil, fmt.Errorf("%s: not an RSA public key", path)
	}
	k, err := x509.ParsePKCS1PublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return k, nil
}

// LoadPublic loads master public keys from files and directories (all
// *.pub files of a directory), as CVMFS_PUBLIC_KEY / CVMFS_KEYS_DIR do.
func LoadPublic(paths ...string) ([]*rsa.PublicKey, error) {
	var files []string
	for _, p := range paths {
		if p == "" {
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("public key: %w", err)
		}
		if st.IsDir() {
			m, _ := filepath.Glob(filepath.Join(p, "*.pub"))
			sort.Strings(m)
			files = append(files, m...)
		} else {
			files = append(files, p)
		}
	}
	var out []*rsa.PublicKey
	for _, f := range files {
		k, err := LoadPublicFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in %s (pass --key FILE|DIR)", ErrNoKeys, strings.Join(paths, ", "))
	}
	return out, nil
}
