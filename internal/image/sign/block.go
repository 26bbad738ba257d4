package sign

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// BlockSize is the size of each of the two trailing blocks.
const BlockSize = 32768

// TailSize is the size of the whole signature tail.
const TailSize = 2 * BlockSize

// Sentinel errors callers branch on.
var (
	ErrNotSigned    = errors.New("image is not signed")
	ErrBadSignature = errors.New("bad image signature")
	ErrInput        = errors.New("signing input")
)

// Metadata is block A.
type Metadata struct {
	Version  string `json:"ucernvm-version"`
	OSRepo   string `json:"os-repo"`
	Snapshot string `json:"snapshot"`
}

// Signature is block B.
type Signature struct {
	Certificate string   `json:"certificate"` // base64 of the PEM certificate (+ chain)
	Signature   string   `json:"signature"`   // base64 of the RSA-SHA256 signature
	HowTo       []string `json:"howto-verify"`
}

// HowTo are the verification hints stored in every signature block.
var HowTo = []string{
	"base64-decode the certificate field into cert.pem",
	"base64-decode the signature field into sig.bin",
	"openssl verify -CAfile <CA chain> cert.pem",
	"openssl x509 -in cert.pem -noout -subject must show the expected signer DN",
	"openssl x509 -in cert.pem -pubkey -noout > pub.pem",
	"head -c -32768 <image> | openssl dgst -sha256 -verify pub.pem -signature sig.bin",
}

// encodeBlock renders v as 2-space indented JSON plus newline, NUL padded
// to BlockSize.
func encodeBlock(v any) ([]byte, error) {
	j, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	j = append(j, '\n')
	if len(j) > BlockSize {
		return nil, fmt.Errorf("%w: block JSON is %d bytes, more than %d", ErrInput, len(j), BlockSize)
	}
	return append(j, make([]byte, BlockSize-len(j))...), nil
}

// decodeBlock reads the JSON of a block up to its first NUL.
func decodeBlock(b []byte, v any) error {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		if bytes.IndexFunc(b[i:], func(r rune) bool { return r != 0 }) >= 0 {
			return fmt.Errorf("%w: block padding is not all NUL", ErrBadSignature)
		}
		b = b[:i]
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return ErrNotSigned
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: block JSON: %w", ErrBadSignature, err)
	}
	return nil
}

// ParseTail decodes the 64 KiB tail of a signed image.
func ParseTail(tail []byte) (Metadata, Signature, []byte, []byte, error) {
	var m Metadata
	var s Signature
	if len(tail) != TailSize {
		return m, s, nil, nil, ErrNotSigned
	}
	if err := decodeBlock(tail[BlockSize:], &s); err != nil {
		return m, s, nil, nil, err
	}
	if s.Certificate == "" || s.Signature == "" {
		return m, s, nil, nil, ErrNotSigned
	}
	cert, err := base64.StdEncoding.DecodeString(s.Certificate)
	if err != nil {
		return m, s, nil, nil, fmt.Errorf("%w: certificate field: %w", ErrBadSignature, err)
	}
	sig, err := base64.StdEncoding.DecodeString(s.Signature)
	if err != nil {
		return m, s, nil, nil, fmt.Errorf("%w: signature field: %w", ErrBadSignature, err)
	}
	if err := decodeBlock(tail[:BlockSize], &m); err != nil {
		if errors.Is(err, ErrNotSigned) {
			err = fmt.Errorf("%w: metadata block is not JSON", ErrBadSignature)
		}
		return m, s, nil, nil, err
	}
	return m, s, cert, sig, nil
}
