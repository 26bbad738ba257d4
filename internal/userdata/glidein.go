package userdata

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
)

// Glidein holds what the bootloader takes from glideinWMS pilot user data.
type Glidein struct {
	Proxy   string // -param_CERNVM_CMS_PROXY, unescaped
	PACURLs string // -param_CERNVM_CMS_PAC_URLS, unescaped
}

var glideinRE = regexp.MustCompile(`^[A-Za-z0-9+/=]+####.*-cluster [0-9]+ -subcluster [0-9]+####`)

var glideinUnescape = strings.NewReplacer(
	".semicolon,", ";", ".colon,", ":", ".pipe,", "|", ".minus,", "-", ".dot,", ".",
)

// DetectGlidein recognises glideinWMS user data: a single line
// `<base64>####... -cluster N -subcluster M####...`. The base64 part holds
// the pilot arguments; the proxy and PAC URL parameters are unescaped.
func DetectGlidein(raw []byte) (*Glidein, bool) {
	s := strings.TrimRight(string(raw), "\r\n")
	if strings.Contains(s, "\n") || !glideinRE.MatchString(s) {
		return nil, false
	}
	b64, _, _ := strings.Cut(s, "#")
	dec, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, false
	}
	g := &Glidein{}
	for _, line := range bytes.Split(dec, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("args")) {
			continue
		}
		f := strings.Fields(string(line))
		for i := 0; i+1 < len(f); i++ {
			switch f[i] {
			case "-param_CERNVM_CMS_PROXY":
				g.Proxy = glideinUnescape.Replace(f[i+1])
			case "-param_CERNVM_CMS_PAC_URLS":
				g.PACURLs = glideinUnescape.Replace(f[i+1])
			}
		}
		break
	}
	return g, true
}
