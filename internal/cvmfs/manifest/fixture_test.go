package manifest_test

import (
	"crypto/rsa"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/cvmfs/manifest"
	"github.com/ucvm/ucvm/internal/cvmfs/object"
	"github.com/ucvm/ucvm/internal/cvmfs/whitelist"
	"github.com/ucvm/ucvm/internal/testutil"
)

// TestFixtureChainOfTrust verifies the real repository written by cvmfs_server.
func TestFixtureChainOfTrust(t *testing.T) {
	dir := testutil.FixtureRepo(t)
	raw, err := os.ReadFile(filepath.Join(dir, ".cvmfspublished"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := manifest.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "test.repo.local" || m.Revision != 4 {
		t.Fatalf("manifest %+v", m)
	}
	xobj, err := os.ReadFile(filepath.Join(dir, m.Certificate.ObjectPath(hash.SuffixCertificate)))
	if err != nil {
		t.Fatal(err)
	}
	if !hash.Sum(m.Certificate.Alg, xobj).Equal(m.Certificate) {
		t.Fatal("certificate object hash mismatch")
	}
	pemBytes, err := object.Inflate(xobj, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	again, err := object.CompressExact(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if !hash.Sum(hash.SHA1, again).Equal(m.Certificate) {
		t.Fatal("CompressExact does not reproduce the certificate object of the original server")
	}
	cert, err := keys.ParseCertificate(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(cert.PublicKey.(*rsa.PublicKey), "test.repo.local"); err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(cert.PublicKey.(*rsa.PublicKey), "other.repo"); err == nil {
		t.Fatal("wrong name accepted")
	}
	masters, err := keys.LoadPublic(filepath.Join(dir, "test.repo.local.pub"))
	if err != nil {
		t.Fatal(err)
	}
	wraw, _ := os.ReadFile(filepath.Join(dir, ".cvmfswhitelist"))
	w, err := whitelist.Parse(wraw)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Verify(masters, "test.repo.local", time.Now(), cert.Raw); err != nil {
		t.Fatal(err)
	}
	if err := w.Verify(masters, "test.repo.local", time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC), cert.Raw); err == nil {
		t.Fatal("expired whitelist accepted")
	}
	// Tampering with one byte of the manifest body breaks the hash line.
	bad := append([]byte(nil), raw...)
	bad[3] ^= 1
	if _, err := manifest.Parse(bad); err == nil {
		t.Fatal("tampered manifest accepted")
	}
}
