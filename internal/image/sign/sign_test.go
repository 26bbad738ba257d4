package sign

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/testutil"
)

type pki struct {
	caPEM, certPEM, keyPEM []byte
	roots                  *x509.CertPool
	dir                    string
}

var dcOID = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}

// newPKI makes a CA and a signer certificate like CERN's cvm-sign02.
func newPKI(t *testing.T) *pki {
	t.Helper()
	caKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ucvm test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	subj, _ := asn1.Marshal(pkix.RDNSequence{
		{{Type: dcOID, Value: "ch"}}, {{Type: dcOID, Value: "cern"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 11}, Value: "computers"}},
		{{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: "cvm-sign02.cern.ch"}}})
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), RawSubject: subj, NotBefore: now.Add(-time.Hour),
		NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{
		caPEM:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		roots:   x509.NewCertPool(), dir: t.TempDir(),
	}
	p.roots.AddCert(ca)
	os.WriteFile(filepath.Join(p.dir, "ca.pem"), p.caPEM, 0o644)
	return p
}

const signerDN = "/DC=ch/DC=cern/OU=computers/CN=cvm-sign02.cern.ch"

func signedImage(t *testing.T, p *pki) string {
	t.Helper()
	img := filepath.Join(t.TempDir(), "ucvm-test.iso")
	data := make([]byte, 300_000)
	rand.Read(data)
	os.WriteFile(img, data, 0o644)
	err := Sign(img, Options{KeyPEM: p.keyPEM, CertPEM: p.certPEM,
		Meta: Metadata{Version: "2026.11-1.ucvm.x86_64", OSRepo: "prod", Snapshot: "HEAD4"}})
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(img); fi.Size() != int64(len(data))+TailSize {
		t.Fatalf("signed size %d", fi.Size())
	}
	return img
}

func TestSignVerify(t *testing.T) {
	p := newPKI(t)
	img := signedImage(t, p)
	s, err := Verify(img, VerifyOptions{Roots: p.roots, Subject: signerDN})
	if err != nil {
		t.Fatal(err)
	}
	if s.Meta != (Metadata{"2026.11-1.ucvm.x86_64", "prod", "HEAD4"}) {
		t.Fatalf("metadata %+v", s.Meta)
	}
	if _, err := Verify(img, VerifyOptions{Roots: p.roots, Subject: "/CN=someone-else"}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong subject: %v", err)
	}
	if _, err := Verify(img, VerifyOptions{Roots: x509.NewCertPool()}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("untrusted CA: %v", err)
	}
	if err := Sign(img, Options{KeyPEM: p.keyPEM, CertPEM: p.certPEM}); !errors.Is(err, ErrInput) {
		t.Fatalf("double signing: %v", err)
	}
	other := newPKI(t)
	if err := Sign(img, Options{KeyPEM: other.keyPEM, CertPEM: p.certPEM}); !errors.Is(err, ErrInput) {
		t.Fatalf("key/cert mismatch: %v", err)
	}
	unsigned := filepath.Join(t.TempDir(), "plain")
	os.WriteFile(unsigned, make([]byte, 100_000), 0o644)
	if _, err := Verify(unsigned, VerifyOptions{Roots: p.roots}); !errors.Is(err, ErrNotSigned) {
		t.Fatalf("unsigned: %v", err)
	}
}

func TestFlippedByteFails(t *testing.T) {
	p := newPKI(t)
	img := signedImage(t, p)
	orig, _ := os.ReadFile(img)
	n := len(orig)
	sigJSON := orig[n-BlockSize:]
	certAt := strings.Index(string(sigJSON), `"certificate": "`) + 40
	sigAt := strings.Index(string(sigJSON), `"signature": "`) + 30
	positions := map[string]int{
		"image start": 0, "image middle": 150_000, "image end": n - TailSize - 1,
		"metadata json": n - TailSize + 10, "metadata padding": n - BlockSize - 1,
		"certificate": n - BlockSize + certAt, "signature": n - BlockSize + sigAt, "signature padding": n - 1,
	}
	for name, pos := range positions {
		b := append([]byte(nil), orig...)
		b[pos] ^= 0x01
		os.WriteFile(img, b, 0o644)
		if _, err := Verify(img, VerifyOptions{Roots: p.roots, Subject: signerDN}); err == nil {
			t.Errorf("flipped byte in %s (offset %d) still verifies", name, pos)
		}
	}
}

// The openssl procedure documented in docs/images.md verifies our images.
func TestOpenSSLProcedure(t *testing.T) {
	testutil.RequireCommand(t, "openssl", "bash", "base64")
	p := newPKI(t)
	img := signedImage(t, p)
	script := opensslScript
	run := func() (string, error) {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script, "verify", img, filepath.Join(p.dir, "ca.pem"))
		cmd.Dir = t.TempDir()
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run()
	if err != nil || !strings.Contains(out, "Verified OK") || !strings.Contains(out, "CN = cvm-sign02.cern.ch") {
		t.Fatalf("openssl procedure failed: %v\n%s", err, out)
	}
	b, _ := os.ReadFile(img)
	b[1234] ^= 0x80
	os.WriteFile(img, b, 0o644)
	if out, err := run(); err == nil || !strings.Contains(out, "Verification failure") {
		t.Fatalf("openssl accepted a flipped byte: %v\n%s", err, out)
	}
}

// opensslScript is the procedure of docs/images.md ($1 image, $2 CA file).
const opensslScript = `
tail -c 32768 "$1" | tr -d '\000' > sigblock.json
sed -n 's/^  "certificate": "\(.*\)",$/\1/p' sigblock.json | base64 -d > cert.pem
sed -n 's/^  "signature": "\(.*\)",$/\1/p' sigblock.json | base64 -d > sig.bin
openssl verify -CAfile "$2" cert.pem
openssl x509 -in cert.pem -noout -subject
openssl x509 -in cert.pem -pubkey -noout > pub.pem
head -c -32768 "$1" | openssl dgst -sha256 -verify pub.pem -signature sig.bin
`

func FuzzParseTail(f *testing.F) {
	a, _ := encodeBlock(Metadata{"v", "r", "s"})
	b, _ := encodeBlock(Signature{Certificate: "QUJD", Signature: "QUJD"})
	f.Add(append(a, b...))
	f.Add(make([]byte, TailSize))
	f.Fuzz(func(t *testing.T, tail []byte) {
		if len(tail) < TailSize {
			tail = append(tail, make([]byte, TailSize-len(tail))...)
		}
		ParseTail(tail[:TailSize])
	})
}
