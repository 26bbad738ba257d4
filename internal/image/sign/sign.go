package sign

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
)

// Options are the signer's inputs.
type Options struct {
	KeyPEM   []byte // RSA private key (PKCS#1 or PKCS#8)
	CertPEM  []byte // signer certificate
	ChainPEM []byte // optional intermediates, appended to the certificate
	Meta     Metadata
}

// ParsePrivateKey reads an RSA private key from PEM.
func ParsePrivateKey(b []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, fmt.Errorf("%w: key is not PEM", ErrInput)
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%w: key: %w", ErrInput, err)
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("%w: key is %T, want RSA", ErrInput, k)
	}
	return rk, nil
}

// Sign appends the signature tail to the image at path. The file is
// rewritten through a temporary copy, so a failure leaves it unchanged.
func Sign(path string, o Options) error {
	key, err := ParsePrivateKey(o.KeyPEM)
	if err != nil {
		return err
	}
	certs, err := parseCerts(o.CertPEM)
	if err != nil {
		return err
	}
	leafKey, ok := certs[0].PublicKey.(*rsa.PublicKey)
	if !ok || !leafKey.Equal(&key.PublicKey) {
		return fmt.Errorf("%w: the certificate does not belong to the key", ErrInput)
	}
	if _, err := Read(path); err == nil {
		return fmt.Errorf("%w: %s is already signed; sign the unsigned image", ErrInput, path)
	}
	blockA, err := encodeBlock(o.Meta)
	if err != nil {
		return err
	}
	tmp, err := copyToTemp(path)
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if _, err := io.Copy(h, tmp); err != nil {
		return err
	}
	h.Write(blockA)
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h.Sum(nil))
	if err != nil {
		return err
	}
	certField := append(append([]byte(nil), o.CertPEM...), o.ChainPEM...)
	blockB, err := encodeBlock(Signature{
		Certificate: base64.StdEncoding.EncodeToString(certField),
		Signature:   base64.StdEncoding.EncodeToString(sig), HowTo: HowTo,
	})
	if err != nil {
		return err
	}
	if _, err := tmp.Write(append(blockA, blockB...)); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func copyToTemp(path string) (*os.File, error) {
	src, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	defer src.Close()
	fi, err := src.Stat()
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dirOf(path), ".sign-*")
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return nil, err
	}
	tmp.Chmod(fi.Mode().Perm())
	return tmp, nil
}

func dirOf(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[:i+1]
		}
	}
	return "."
}

func parseCerts(b []byte) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: certificate: %w", ErrBadSignature, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.Join(ErrInput, errors.New("no PEM certificate found"))
	}
	return out, nil
}
