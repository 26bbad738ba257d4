package userdata

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// MaxUserData bounds user data after decompression (EC2 allows 16 KiB, but
// ConfigDrive and MIME parts may be larger).
const MaxUserData = 16 << 20

// ErrTooLarge is returned when user data exceeds MaxUserData.
var ErrTooLarge = errors.New("user data too large")

// ErrMalformed is returned for user data that cannot be decoded.
var ErrMalformed = errors.New("malformed user data")

const maxMIMEDepth = 4

// Gunzip returns data decompressed if it starts with the gzip magic,
// otherwise data unchanged.
func Gunzip(data []byte) ([]byte, error) {
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		return data, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %w", ErrMalformed, err)
	}
	out, err := io.ReadAll(io.LimitReader(zr, MaxUserData+1))
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %w", ErrMalformed, err)
	}
	if len(out) > MaxUserData {
		return nil, ErrTooLarge
	}
	return out, nil
}

// Parsed is the result of Parse.
type Parsed struct {
	Raw     []byte   // user data after gunzip (saved as context/user-data)
	Context *Context // the [ucernvm-begin] block (empty if none)
	Found   bool     // a block was found
	Glidein *Glidein // glideinWMS settings, if detected
}

// Parse decodes user data: gunzip, the [ucernvm-begin] block in the raw
// text, else inside MIME multipart parts (base64, quoted-printable or plain,
// each possibly gzip'ed). glideinWMS user data is detected unless the block
// says useglideinwms=off; its proxy and PAC settings go into Context.
func Parse(data []byte) (*Parsed, error) {
	raw, err := Gunzip(data)
	if err != nil {
		return &Parsed{Raw: data, Context: &Context{}}, err
	}
	p := &Parsed{Raw: raw}
	p.Context, p.Found = ParseBlock(raw)
	var mimeErr error
	if !p.Found && looksLikeMIME(raw) {
		var ctx *Context
		ctx, p.Found, mimeErr = parseMIME(raw, 0)
		if p.Found {
			p.Context = ctx
		}
	}
	if p.Context.On("useglideinwms", true) {
		if g, ok := DetectGlidein(raw); ok {
			p.Glidein = g
			if g.Proxy != "" {
				p.Context.Set("cvmfs_http_proxy", g.Proxy)
			}
			if g.PACURLs != "" {
				p.Context.Set("cvmfs_pac_urls", g.PACURLs)
			}
		}
	}
	return p, mimeErr
}

func looksLikeMIME(b []byte) bool {
	head := strings.ToLower(string(b[:min(len(b), 4096)]))
	return strings.HasPrefix(head, "content-type:") || strings.HasPrefix(head, "mime-version:")
}

// parseMIME walks a MIME message and returns the first ucernvm block found.
func parseMIME(raw []byte, depth int) (*Context, bool, error) {
	if depth > maxMIMEDepth {
		return nil, false, fmt.Errorf("%w: MIME nesting deeper than %d", ErrMalformed, maxMIMEDepth)
	}
	msg, err := mail.ReadMessage(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, false, fmt.Errorf("%w: MIME header: %w", ErrMalformed, err)
	}
	return walkPart(textproto.MIMEHeader(msg.Header), msg.Body, depth)
}

func walkPart(h textproto.MIMEHeader, body io.Reader, depth int) (*Context, bool, error) {
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mt = "text/plain"
	}
	if strings.HasPrefix(mt, "multipart/") {
		return walkMultipart(body, params["boundary"], depth)
	}
	data, err := decodeBody(h.Get("Content-Transfer-Encoding"), body)
	if err != nil {
		return nil, false, err
	}
	if data, err = Gunzip(data); err != nil {
		return nil, false, err
	}
	if ctx, found := ParseBlock(data); found {
		return ctx, true, nil
	}
	if mt == "message/rfc822" {
		return parseMIME(data, depth+1)
	}
	return nil, false, nil
}

func walkMultipart(body io.Reader, boundary string, depth int) (*Context, bool, error) {
	if boundary == "" {
		return nil, false, fmt.Errorf("%w: multipart without boundary", ErrMalformed)
	}
	mr := multipart.NewReader(body, boundary)
	for i := 0; i < 1000; i++ {
		part, err := mr.NextRawPart()
		if err == io.EOF {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("%w: multipart: %w", ErrMalformed, err)
		}
		ctx, found, err := walkPart(part.Header, part, depth+1)
		if err != nil || found {
			return ctx, found, err
		}
	}
	return nil, false, fmt.Errorf("%w: more than 1000 MIME parts", ErrMalformed)
}

func decodeBody(cte string, body io.Reader) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, &stripSpace{r: body})
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	}
	data, err := io.ReadAll(io.LimitReader(body, MaxUserData+1))
	if err != nil {
		return nil, fmt.Errorf("%w: MIME part body (%s): %w", ErrMalformed, cte, err)
	}
	if len(data) > MaxUserData {
		return nil, ErrTooLarge
	}
	return data, nil
}

// stripSpace drops white space (line breaks of base64 bodies).
type stripSpace struct{ r io.Reader }

func (s *stripSpace) Read(p []byte) (int, error) {
	for {
		n, err := s.r.Read(p)
		j := 0
		for _, c := range p[:n] {
			if c != '\r' && c != '\n' && c != ' ' && c != '\t' {
				p[j] = c
				j++
			}
		}
		if j > 0 || err != nil {
			return j, err
		}
	}
}
