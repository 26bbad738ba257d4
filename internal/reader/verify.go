package reader

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/cvmfs/manifest"
	"github.com/ucvm/ucvm/internal/cvmfs/whitelist"
)

// VerifyEnsemble fetches and verifies .cvmfspublished, the certificate
// (kept in cache) and the whitelist, and returns the manifest and the raw
// whitelist (replicas copy both byte for byte).
func VerifyEnsemble(ctx context.Context, src Source, cache ObjectCache, fqrn string, masters []*rsa.PublicKey, now time.Time) (*manifest.Manifest, []byte, error) {
	var wl []byte
	m, err := verifyManifest(ctx, src, newObjects(src, cache), fqrn, masters, now, &wl)
	return m, wl, err
}

// verifyManifest fetches .cvmfspublished, the certificate and the whitelist
// and verifies the chain master key -> whitelist -> certificate -> manifest.
func verifyManifest(ctx context.Context, src Source, objs *objects, fqrn string, masters []*rsa.PublicKey, now time.Time, wlOut *[]byte) (*manifest.Manifest, error) {
	raw, err := getRaw(ctx, src, ".cvmfspublished", 1<<20)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	m, err := manifest.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: .cvmfspublished: %v", ErrBadSignature, err)
	}
	if m.Name != fqrn {
		return nil, fmt.Errorf("%w: .cvmfspublished is for repository %q, not %q", ErrBadSignature, m.Name, fqrn)
	}
	if m.Certificate.IsZero() {
		return nil, fmt.Errorf("%w: manifest names no certificate (X)", ErrBadSignature)
	}
	pemBytes, err := objs.getBytes(ctx, m.Certificate, hash.SuffixCertificate, "certificate")
	if err != nil {
		return nil, fmt.Errorf("certificate: %w", err)
	}
	cert, err := keys.ParseCertificate(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrBadSignature, err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: certificate key is not RSA", ErrBadSignature)
	}
	if err := m.Verify(pub, fqrn); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	wraw, err := getRaw(ctx, src, ".cvmfswhitelist", 1<<20)
	if err != nil {
		return nil, fmt.Errorf("whitelist: %w", err)
	}
	wl, err := whitelist.Parse(wraw)
	if err != nil {
		return nil, fmt.Errorf("%w: .cvmfswhitelist: %v", ErrBadSignature, err)
	}
	if err := wl.Verify(masters, fqrn, now, cert.Raw); err != nil {
		if errors.Is(err, whitelist.ErrExpired) {
			return nil, fmt.Errorf("%w: %v", ErrExpired, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if wlOut != nil {
		*wlOut = wraw
	}
	return m, nil
}
