package sign

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"os"
	"strings"
)

// Signed is the decoded tail of a signed image.
type Signed struct {
	Meta      Metadata
	Certs     []*x509.Certificate // leaf first
	Signature []byte
	DataSize  int64 // bytes covered by the signature (image + metadata block)
}

// Read decodes the signature tail of the image at path without checking it.
func Read(path string) (*Signed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() < TailSize {
		return nil, ErrNotSigned
	}
	tail := make([]byte, TailSize)
	if _, err := f.ReadAt(tail, fi.Size()-TailSize); err != nil {
		return nil, err
	}
	m, _, certPEM, sig, err := ParseTail(tail)
	if err != nil {
		return nil, err
	}
	certs, err := parseCerts(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return &Signed{Meta: m, Certs: certs, Signature: sig, DataSize: fi.Size() - BlockSize}, nil
}

// VerifyOptions say whom to trust.
type VerifyOptions struct {
	Roots   *x509.CertPool // nil = the system's CA certificates
	Subject string         // expected signer DN ("" = any); RFC 2253 or OpenSSL "/DC=.../CN=..." form
}

// Verify checks the image's signature, certificate chain and signer and
// returns the metadata.
func Verify(path string, o VerifyOptions) (*Signed, error) {
	s, err := Read(path)
	if err != nil {
		return nil, err
	}
	leaf := s.Certs[0]
	inter := x509.NewCertPool()
	for _, c := range s.Certs[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: o.Roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return nil, fmt.Errorf("%w: certificate: %w", ErrBadSignature, err)
	}
	if o.Subject != "" && o.Subject != leaf.Subject.String() && o.Subject != OpenSSLSubject(leaf.RawSubject) {
		return nil, fmt.Errorf("%w: signer is %q, want %q", ErrBadSignature, OpenSSLSubject(leaf.RawSubject), o.Subject)
	}
	pub, ok := leaf.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%w: signer key is %T, want RSA", ErrBadSignature, leaf.PublicKey)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, s.DataSize)); err != nil {
		return nil, err
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h.Sum(nil), s.Signature); err != nil {
		return nil, fmt.Errorf("%w: image content does not match the signature", ErrBadSignature)
	}
	return s, nil
}

// Short names OpenSSL prints in its one-line subject.
var oidNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.10": "O",
	"2.5.4.11": "OU", "0.9.2342.19200300.100.1.25": "DC", "1.2.840.113549.1.9.1": "emailAddress",
}

// OpenSSLSubject renders a name like openssl's legacy -subject output
// ("/DC=ch/DC=cern/OU=computers/CN=host"), in certificate order.
func OpenSSLSubject(raw []byte) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &seq); err != nil {
		return ""
	}
	var b strings.Builder
	for _, rdn := range seq {
		for _, atv := range rdn {
			name, ok := oidNames[atv.Type.String()]
			if !ok {
				name = atv.Type.String()
			}
			fmt.Fprintf(&b, "/%s=%v", name, atv.Value)
		}
	}
	return b.String()
}

// UnsignedSize is the image size without the tail (for openssl's head -c).
func UnsignedSize(path string) (int64, error) {
	if _, err := Read(path); err != nil {
		return 0, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size() - TailSize, nil
}
