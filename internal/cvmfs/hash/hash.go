package hash

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	stdhash "hash"
	"strings"

	"golang.org/x/crypto/ripemd160" //nolint:staticcheck // RIPEMD-160 is part of the CernVM-FS format.
	"golang.org/x/crypto/sha3"
)

// Algorithm is a CernVM-FS hash algorithm; the numeric values are part of the
// format (catalog flags store Algorithm-1).
type Algorithm uint8

// Hash algorithms in CernVM-FS enum order.
const (
	MD5      Algorithm = 0
	SHA1     Algorithm = 1
	RMD160   Algorithm = 2
	SHAKE128 Algorithm = 3
)

// Object type suffixes appended to object names in storage and URLs.
const (
	SuffixNone        byte = 0
	SuffixCatalog     byte = 'C'
	SuffixHistory     byte = 'H'
	SuffixCertificate byte = 'X'
	SuffixMetainfo    byte = 'M'
	SuffixPartial     byte = 'P'
)

// ErrBadHash reports a malformed textual hash.
var ErrBadHash = errors.New("malformed hash")

// Hash is a digest together with its algorithm. The zero value is "no hash".
type Hash struct {
	Alg    Algorithm
	Digest []byte
}

var algIDs = map[Algorithm]string{MD5: "", SHA1: "", RMD160: "-rmd160", SHAKE128: "-shake128"}

// Name returns the algorithm name as used in configuration (sha1, rmd160, shake128).
func (a Algorithm) Name() string {
	switch a {
	case MD5:
		return "md5"
	case SHA1:
		return "sha1"
	case RMD160:
		return "rmd160"
	case SHAKE128:
		return "shake128"
	}
	return fmt.Sprintf("alg%d", a)
}

// ParseAlgorithm parses sha1, rmd160 or shake128.
func ParseAlgorithm(s string) (Algorithm, error) {
	switch strings.ToLower(s) {
	case "sha1", "":
		return SHA1, nil
	case "rmd160":
		return RMD160, nil
	case "shake128":
		return SHAKE128, nil
	}
	return 0, fmt.Errorf("unknown hash algorithm %q (want sha1, rmd160 or shake128)", s)
}

// DigestSize returns the digest length in bytes.
func (a Algorithm) DigestSize() int {
	if a == MD5 {
		return 16
	}
	return 20
}

// IsZero reports whether h holds no digest.
func (h Hash) IsZero() bool { return len(h.Digest) == 0 }

// String returns lower-case hex plus the algorithm identifier, without suffix.
func (h Hash) String() string {
	if h.IsZero() {
		return ""
	}
	return hex.EncodeToString(h.Digest) + algIDs[h.Alg]
}

// Equal reports whether two hashes are identical.
func (h Hash) Equal(o Hash) bool {
	return h.Alg == o.Alg && string(h.Digest) == string(o.Digest)
}

// Parse parses the textual form; the algorithm follows from the length.
func Parse(s string) (Hash, error) {
	var alg Algorithm
	var hexPart string
	switch len(s) {
	case 32:
		alg, hexPart = MD5, s
	case 40:
		alg, hexPart = SHA1, s
	case 47:
		alg, hexPart = RMD160, s[:40]
	case 49:
		alg, hexPart = SHAKE128, s[:40]
	default:
		return Hash{}, fmt.Errorf("%w: %q has length %d, want 32, 40, 47 or 49", ErrBadHash, s, len(s))
	}
	if len(s) > len(hexPart) && s[len(hexPart)] != '-' {
		return Hash{}, fmt.Errorf("%w: %q", ErrBadHash, s)
	}
	d, err := hex.DecodeString(hexPart)
	if err != nil {
		return Hash{}, fmt.Errorf("%w: %q: %v", ErrBadHash, s, err)
	}
	return Hash{Alg: alg, Digest: d}, nil
}

// MustParse is Parse for constants in tests; it panics on error.
func MustParse(s string) Hash {
	h, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return h
}

// FromDigest wraps a raw digest (as stored in catalog blobs).
func FromDigest(alg Algorithm, d []byte) (Hash, error) {
	if len(d) != alg.DigestSize() {
		return Hash{}, fmt.Errorf("%w: %s digest of %d bytes, want %d", ErrBadHash, alg.Name(), len(d), alg.DigestSize())
	}
	return Hash{Alg: alg, Digest: append([]byte(nil), d...)}, nil
}

// ObjectPath returns the storage path "data/xx/rest<suffix>".
func (h Hash) ObjectPath(suffix byte) string {
	s := h.String()
	p := "data/" + s[:2] + "/" + s[2:]
	if suffix != SuffixNone {
		p += string(suffix)
	}
	return p
}

// CachePath returns the cache-relative path "xx/rest" (no suffix).
func (h Hash) CachePath() string {
	s := h.String()
	return s[:2] + "/" + s[2:]
}

// New returns a streaming hasher for alg.
func New(alg Algorithm) stdhash.Hash {
	switch alg {
	case MD5:
		return md5.New()
	case RMD160:
		return ripemd160.New()
	case SHAKE128:
		return &shake{sha3.NewShake128()}
	default:
		return sha1.New()
	}
}

// Sum hashes data with alg.
func Sum(alg Algorithm, data []byte) Hash {
	h := New(alg)
	h.Write(data)
	return Hash{Alg: alg, Digest: h.Sum(nil)}
}

// shake adapts SHAKE-128 squeezed to 160 bits to hash.Hash.
type shake struct{ sha3.ShakeHash }

func (s *shake) Sum(b []byte) []byte {
	c := s.ShakeHash.Clone()
	out := make([]byte, 20)
	c.Read(out)
	return append(b, out...)
}
func (s *shake) Size() int      { return 20 }
func (s *shake) BlockSize() int { return 168 }

// PathMD5 returns the catalog key of a repository path ("" is the root,
// otherwise "/a/b"): MD5 split into two little-endian signed int64.
func PathMD5(path string) (int64, int64) {
	d := md5.Sum([]byte(path))
	return int64(binary.LittleEndian.Uint64(d[0:8])), int64(binary.LittleEndian.Uint64(d[8:16]))
}

// Fingerprint formats a certificate fingerprint as in whitelists:
// upper-case hex bytes separated by ':' plus the upper-case algorithm id.
func (h Hash) Fingerprint() string {
	var b strings.Builder
	for i, c := range h.Digest {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	b.WriteString(strings.ToUpper(algIDs[h.Alg]))
	return b.String()
}

// ParseFingerprint parses a whitelist fingerprint line's first field.
func ParseFingerprint(s string) (Hash, error) {
	if i := strings.IndexAny(s, " \t#"); i >= 0 {
		s = s[:i]
	}
	return Parse(strings.ToLower(strings.ReplaceAll(s, ":", "")))
}
