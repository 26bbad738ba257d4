package whitelist

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/letter"
)

// Errors callers branch on.
var (
	ErrMalformed      = errors.New("malformed whitelist")
	ErrExpired        = errors.New("whitelist expired")
	ErrWrongName      = errors.New("whitelist belongs to another repository")
	ErrBadSignature   = errors.New("whitelist signature does not verify with any master key")
	ErrNotWhitelisted = errors.New("certificate not in whitelist")
	ErrUnsupported    = errors.New("unsupported whitelist mode")
)

const stampLayout = "20060102150405"

// Whitelist is a parsed .cvmfswhitelist.
type Whitelist struct {
	Issued       string
	Expires      time.Time
	Name         string
	Fingerprints []hash.Hash
	PKCS7        bool
	CAChain      bool
	raw          *letter.Letter
}

// Parse parses raw and checks its hash line (not the signature).
func Parse(raw []byte) (*Whitelist, error) {
	l, err := letter.Split(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	lines := strings.Split(strings.TrimSuffix(string(l.Body), "\n"), "\n")
	if len(lines) < 3 {
		return nil, fmt.Errorf("%w: %d lines before \"--\", want at least 3", ErrMalformed, len(lines))
	}
	if len(lines[0]) != 14 || len(lines[1]) != 15 || lines[1][0] != 'E' {
		return nil, fmt.Errorf("%w: timestamp lines %q %q (want YYYYMMDDHHMMSS and EYYYYMMDDHHMMSS)", ErrMalformed, lines[0], lines[1])
	}
	exp, err := time.Parse(stampLayout, lines[1][1:])
	if err != nil {
		return nil, fmt.Errorf("%w: expiry %q: %v", ErrMalformed, lines[1], err)
	}
	if !strings.HasPrefix(lines[2], "N") {
		return nil, fmt.Errorf("%w: third line %q is not N<repository name>", ErrMalformed, lines[2])
	}
	w := &Whitelist{Issued: lines[0], Expires: exp, Name: lines[2][1:], raw: l}
	for _, ln := range lines[3:] {
		switch ln {
		case "Vpkcs7":
			w.PKCS7 = true
			continue
		case "Wcachain":
			w.CAChain = true
			continue
		}
		if fp, err := hash.ParseFingerprint(ln); err == nil {
			w.Fingerprints = append(w.Fingerprints, fp)
		}
	}
	return w, nil
}

// Verify checks the master-key signature, expiry (hour granularity, as the
// original), repository name and that cert fingerprint is listed.
func (w *Whitelist) Verify(masters []*rsa.PublicKey, fqrn string, now time.Time, certFingerprintDER []byte) error {
	if w.PKCS7 || w.CAChain {
		return fmt.Errorf("%w: PKCS#7 / CA-chain whitelists are not supported (fail closed)", ErrUnsupported)
	}
	if fqrn != "" && w.Name != fqrn {
		return fmt.Errorf("%w: whitelist is for %q, not %q", ErrWrongName, w.Name, fqrn)
	}
	ok := false
	for _, k := range masters {
		if rsa.VerifyPKCS1v15(k, crypto.Hash(0), []byte(w.raw.HashText), w.raw.Signature) == nil {
			ok = true
			break
		}
	}
	if !ok {
		return ErrBadSignature
	}
	if !now.UTC().Truncate(time.Hour).Before(w.Expires.Truncate(time.Hour)) {
		return fmt.Errorf("%w on %s (the publisher must run `ucvm repo resign`)", ErrExpired, w.Expires.Format(time.RFC3339))
	}
	for _, fp := range w.Fingerprints {
		if fp.Alg == hash.SHA1 && hash.Sum(hash.SHA1, certFingerprintDER).Equal(fp) {
			return nil
		}
		if fp.Alg != hash.SHA1 && hash.Sum(fp.Alg, certFingerprintDER).Equal(fp) {
			return nil
		}
	}
	return ErrNotWhitelisted
}

// Create builds and signs a whitelist for fqrn listing the SHA-1
// fingerprints of certificate DER encodings, valid for ttl from now.
func Create(fqrn string, certsDER [][]byte, now time.Time, ttl time.Duration, master *rsa.PrivateKey) ([]byte, error) {
	now = now.UTC()
	var b strings.Builder
	b.WriteString(now.Format(stampLayout) + "\n")
	b.WriteString("E" + now.Add(ttl).Format(stampLayout) + "\n")
	b.WriteString("N" + fqrn + "\n")
	for _, der := range certsDER {
		b.WriteString(hash.Sum(hash.SHA1, der).Fingerprint() + "\n")
	}
	return letter.Assemble([]byte(b.String()), hash.SHA1, func(ht []byte) ([]byte, error) {
		return rsa.SignPKCS1v15(rand.Reader, master, crypto.Hash(0), ht)
	})
}
