package update_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/image/sign"
	"github.com/ucvm/ucvm/internal/update"
	"github.com/ucvm/ucvm/internal/update/updatetest"
)

// signer makes a CA (written to caFile) and returns a signing key and
// certificate issued by it.
func signer(t *testing.T, caFile string) (keyPEM, certPEM []byte) {
	t.Helper()
	now := time.Now()
	caKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ucvm update test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "ucvm-pack-signer"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644)
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})
}

// signedPack returns a signed update pack of version, optionally with a
// byte of its content flipped after signing.
func signedPack(t *testing.T, version, caFile string, tamper bool) []byte {
	data, _ := updatetest.Pack(version)
	p := filepath.Join(t.TempDir(), "pack.tar")
	os.WriteFile(p, data, 0o644)
	key, cert := signer(t, caFile)
	if err := sign.Sign(p, sign.Options{KeyPEM: key, CertPEM: cert, Meta: sign.Metadata{Version: version}}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if tamper {
		b[600] ^= 1 // inside the apply file's content
	}
	return b
}

func TestSignedPack(t *testing.T) {
	for _, c := range []struct {
		name          string
		tamper, useCA bool
		ok            bool
	}{{"verified", false, true, true}, {"tampered", true, true, false}, {"unknown CA", false, false, false}} {
		t.Run(c.name, func(t *testing.T) {
			f := updatetest.New(t, "1")
			caFile := filepath.Join(t.TempDir(), "ca.pem")
			data := signedPack(t, "2", caFile, c.tamper)
			sum := sha256.Sum256(data)
			f.SrcFile("update-packs/ucvm.2.tar", data)
			f.SrcFile("update-packs/ucvm.2.tar.sha256", []byte(hex.EncodeToString(sum[:])+"  ucvm.2.tar\n"))
			if c.useCA {
				conf, _ := os.ReadFile(filepath.Join(f.RW, update.ConfigFile))
				f.Write("mnt/.rw/"+update.ConfigFile, string(conf)+"ca="+caFile+"\n")
			}
			f.Pin(f.Publish(""), "")
			s, err := update.StageBootloader(ctx, opts(f))
			if c.ok {
				if err != nil || !s.Signed || !strings.Contains(s.Signer, "ucvm-pack-signer") || s.Apply.Version != "2" {
					t.Fatalf("signed pack: %+v %v", s, err)
				}
				return
			}
			if !errors.Is(err, update.ErrBadPack) || !errors.Is(err, sign.ErrBadSignature) {
				t.Fatalf("want a bad signature error, got %v", err)
			}
			if _, err := os.Stat(filepath.Join(f.RW, "kexec", "apply")); !os.IsNotExist(err) {
				t.Fatal("staged despite a bad signature")
			}
		})
	}
}
