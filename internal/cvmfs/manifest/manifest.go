package manifest

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/letter"
)

// RootPathHash is the only valid R value: MD5 of the empty path.
const RootPathHash = "d41d8cd98f00b204e9800998ecf8427e"

// Errors callers branch on.
var (
	ErrMalformed    = errors.New("malformed manifest")
	ErrBadSignature = errors.New("manifest signature does not verify")
	ErrWrongName    = errors.New("manifest belongs to another repository")
)

// Manifest holds the fields of .cvmfspublished.
type Manifest struct {
	RootCatalog     hash.Hash // C
	RootCatalogSize uint64    // B
	TTL             uint64    // D
	Revision        uint64    // S
	GarbageCollect  bool      // G
	AltPaths        bool      // A
	Name            string    // N
	Certificate     hash.Hash // X
	History         hash.Hash // H
	Timestamp       int64     // T
	MetaInfo        hash.Hash // M
	Reflog          hash.Hash // Y
	Micro           hash.Hash // L (reserved)
	Raw             []byte    // the file as read, for byte-exact copies
	HashText        string    // signed hash line, for breadcrumbs and logs
}

func yesno(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Body returns the key lines in the writer order of cvmfs (C B R D S G A, then
// L N X H T M Y when set).
func (m *Manifest) Body() []byte {
	var b bytes.Buffer
	line := func(k byte, v string) { b.WriteByte(k); b.WriteString(v); b.WriteByte('\n') }
	line('C', m.RootCatalog.String())
	line('B', strconv.FormatUint(m.RootCatalogSize, 10))
	line('R', RootPathHash)
	line('D', strconv.FormatUint(m.TTL, 10))
	line('S', strconv.FormatUint(m.Revision, 10))
	line('G', yesno(m.GarbageCollect))
	line('A', yesno(m.AltPaths))
	opt := func(k byte, h hash.Hash) {
		if !h.IsZero() {
			line(k, h.String())
		}
	}
	opt('L', m.Micro)
	if m.Name != "" {
		line('N', m.Name)
	}
	opt('X', m.Certificate)
	opt('H', m.History)
	if m.Timestamp > 0 {
		line('T', strconv.FormatInt(m.Timestamp, 10))
	}
	opt('M', m.MetaInfo)
	opt('Y', m.Reflog)
	return b.Bytes()
}

// Sign returns the complete signed file; key is the certificate's private key.
func (m *Manifest) Sign(key *rsa.PrivateKey) ([]byte, error) {
	return letter.Assemble(m.Body(), m.RootCatalog.Alg, func(ht []byte) ([]byte, error) {
		d := sha1.Sum(ht)
		return rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA1, d[:])
	})
}

// Parse parses a signed manifest and checks its hash line; it does not
// verify the signature (see Verify).
func Parse(raw []byte) (*Manifest, error) {
	l, err := letter.Split(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	m, err := parseBody(l.Body)
	if err != nil {
		return nil, err
	}
	m.Raw = raw
	m.HashText = l.HashText
	return m, nil
}

func parseBody(body []byte) (*Manifest, error) {
	kv := map[byte]string{}
	for _, ln := range strings.Split(string(body), "\n") {
		if ln == "" {
			continue
		}
		kv[ln[0]] = ln[1:]
	}
	m := &Manifest{}
	for _, k := range []byte{'C', 'R', 'D', 'S'} {
		if _, ok := kv[k]; !ok {
			return nil, fmt.Errorf("%w: required key %c missing", ErrMalformed, k)
		}
	}
	if kv['R'] != RootPathHash {
		return nil, fmt.Errorf("%w: root path hash R is %q, want %s", ErrMalformed, kv['R'], RootPathHash)
	}
	var err error
	hashes := []struct {
		k byte
		p *hash.Hash
	}{{'C', &m.RootCatalog}, {'X', &m.Certificate}, {'H', &m.History}, {'M', &m.MetaInfo}, {'Y', &m.Reflog}, {'L', &m.Micro}}
	for _, e := range hashes {
		if v, ok := kv[e.k]; ok && v != "" {
			if *e.p, err = hash.Parse(v); err != nil {
				return nil, fmt.Errorf("%w: key %c: %v", ErrMalformed, e.k, err)
			}
		}
	}
	m.RootCatalogSize = parseUint(kv['B'])
	m.TTL = parseUint(kv['D'])
	m.Revision = parseUint(kv['S'])
	m.Timestamp = int64(parseUint(kv['T']))
	m.GarbageCollect = kv['G'] == "yes"
	m.AltPaths = kv['A'] == "yes"
	m.Name = kv['N']
	return m, nil
}

// parseUint mimics sscanf("%lu"): leading digits, garbage gives 0.
func parseUint(s string) uint64 {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	v, _ := strconv.ParseUint(s[:i], 10, 64)
	return v
}

// Verify checks the manifest signature with the certificate's public key
// and that it names the repository fqrn.
func (m *Manifest) Verify(pub *rsa.PublicKey, fqrn string) error {
	if fqrn != "" && m.Name != fqrn {
		return fmt.Errorf("%w: manifest is for %q, not %q", ErrWrongName, m.Name, fqrn)
	}
	l, err := letter.Split(m.Raw)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	d := sha1.Sum([]byte(l.HashText))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA1, d[:], l.Signature); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}
