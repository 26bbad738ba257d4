package letter

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// ErrMalformed reports a letter without the "--" separator or hash line.
var ErrMalformed = errors.New("malformed signed file")

// ErrHashMismatch reports a body whose hash differs from the hash line.
var ErrHashMismatch = errors.New("body hash does not match the hash line")

// Letter is a parsed signed text.
type Letter struct {
	Body      []byte    // up to and including the LF before "--"
	HashText  string    // the hash line without LF
	Hash      hash.Hash // parsed hash line
	Signature []byte    // all bytes after the hash line's LF
}

// Split parses raw into its parts and checks that the hash line matches
// the body. It does not check the signature.
func Split(raw []byte) (*Letter, error) {
	var body []byte
	var rest []byte
	if bytes.HasPrefix(raw, []byte("--\n")) {
		body, rest = nil, raw[3:]
	} else {
		i := bytes.Index(raw, []byte("\n--\n"))
		if i < 0 {
			return nil, fmt.Errorf("%w: no \"--\" separator line", ErrMalformed)
		}
		body, rest = raw[:i+1], raw[i+4:]
	}
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 {
		return nil, fmt.Errorf("%w: truncated after \"--\" (no hash line)", ErrMalformed)
	}
	l := &Letter{Body: body, HashText: string(rest[:nl]), Signature: rest[nl+1:]}
	h, err := hash.Parse(l.HashText)
	if err != nil {
		return nil, fmt.Errorf("%w: hash line: %v", ErrMalformed, err)
	}
	l.Hash = h
	if got := hash.Sum(h.Alg, body); !got.Equal(h) {
		return nil, fmt.Errorf("%w: body hashes to %s, hash line says %s", ErrHashMismatch, got, h)
	}
	return l, nil
}

// Assemble builds body + "--\n" + hex hash + "\n" + signature; sign is
// called with the hash line text (without LF).
func Assemble(body []byte, alg hash.Algorithm, sign func(hashText []byte) ([]byte, error)) ([]byte, error) {
	ht := hash.Sum(alg, body).String()
	sig, err := sign([]byte(ht))
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(body)+len(ht)+len(sig)+4)
	out = append(out, body...)
	out = append(out, "--\n"...)
	out = append(out, ht...)
	out = append(out, '\n')
	out = append(out, sig...)
	return out, nil
}
