package userdata

import (
	"bytes"
	"strings"
)

const (
	beginMarker = "[ucernvm-begin]"
	endMarker   = "[ucernvm-end]"
)

// ParseBlock parses the first [ucernvm-begin]..[ucernvm-end] block of data.
// It follows parse_user_data of µCernVM: the end marker stops parsing (even
// before a begin marker), lines without '=' are ignored, keys are lower-cased
// and yes/on/true become 1, no/off/false become 0. Unlike the original it
// tolerates CRLF and surrounding blanks, strips one level of matching shell
// quotes that users put around values, skips '#' comments and keys that are
// not valid shell names, and never executes anything. found reports whether a
// begin marker was seen.
func ParseBlock(data []byte) (ctx *Context, found bool) {
	ctx = &Context{}
	in := false
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		s := strings.TrimSpace(string(line))
		switch {
		case s == endMarker:
			return ctx, found
		case s == beginMarker:
			in, found = true, true
		case in:
			parseBlockLine(ctx, s)
		}
	}
	return ctx, found
}

func parseBlockLine(ctx *Context, s string) {
	if strings.HasPrefix(s, "#") {
		return
	}
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return
	}
	k = strings.ToLower(strings.TrimSpace(k))
	if !validKey(k) {
		return
	}
	ctx.Set(k, normalise(unquote(strings.TrimSpace(v))))
}

// validKey reports whether k can be part of a shell variable name.
func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// unquote removes one pair of matching surrounding quotes.
func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

func normalise(v string) string {
	switch strings.ToLower(v) {
	case "yes", "on", "true":
		return "1"
	case "no", "off", "false":
		return "0"
	}
	return v
}
