package image

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/image/imagetest"
	"github.com/ucvm/ucvm/internal/image/sign"
	"github.com/ucvm/ucvm/internal/qemu"
	"github.com/ucvm/ucvm/internal/testutil"
)

func selfSigned(t *testing.T) (keyPEM, certPEM []byte, pool *x509.CertPool) {
	t.Helper()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "ucvm image signer"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(c)
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pool
}

// End to end: build the ISO of a branch, sign it, verify it, and boot the
// signed file as a hard disk through its isohybrid MBR to the Go /init.
func TestSignedHybridISOBootsAsDisk(t *testing.T) {
	testutil.RequireCommand(t, "qemu-system-x86_64")
	imagetest.Kernel(t)
	s := testSpec(t, "iso")
	s.Bootloader.Binary = imagetest.Bootloader(t)
	s.Branches = s.Branches[:1]
	s.KernelParams = "panic=-1 cryptomgr.notests ucvm.poweroff=banner"
	out := t.TempDir()
	rep, err := Build(context.Background(), s, Options{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	iso := rep.Artifacts[0].Path
	key, cert, pool := selfSigned(t)
	meta := sign.Metadata{Version: s.StrongVersion(), OSRepo: "test", Snapshot: "trunk"}
	if err := sign.Sign(iso, sign.Options{KeyPEM: key, CertPEM: cert, Meta: meta}); err != nil {
		t.Fatal(err)
	}
	got, err := sign.Verify(iso, sign.VerifyOptions{Roots: pool, Subject: "CN=ucvm image signer"})
	if err != nil || got.Meta != meta {
		t.Fatalf("verify: %+v %v", got, err)
	}
	vm := qemu.StartT(t, qemu.Config{Drives: []qemu.Drive{{File: iso, Interface: "ide", Snapshot: true}},
		Timeout: 150 * time.Second, LogFile: filepath.Join(t.TempDir(), "console.log")})
	vm.MustWaitFor(t, `ucvm bootloader `+s.StrongVersion(), 140*time.Second)
	if err := vm.WaitExit(30 * time.Second); err != nil {
		t.Fatal(err)
	}
}
