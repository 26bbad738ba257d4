package pac

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// ErrPAC: the PAC file could not be evaluated or gave no usable answer.
var ErrPAC = errors.New("PAC evaluation failed")

// Options tune Evaluate.
type Options struct {
	// Timeout bounds loading and running the script (default 2 s).
	Timeout time.Duration
	// Resolve maps a host name to one IP address (default: system DNS
	// with a 1 s limit). Used by dnsResolve, isResolvable, isInNet.
	Resolve func(host string) (string, bool)
	// MyIP is what myIpAddress returns (default: 127.0.0.1).
	MyIP string
	// Now is the clock of the time-range helpers (default time.Now).
	Now func() time.Time
}

// WithDefaults returns o with its zero fields set to the defaults.
func (o Options) WithDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Resolve == nil {
		o.Resolve = systemResolve
	}
	if o.MyIP == "" {
		o.MyIP = "127.0.0.1"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

func systemResolve(host string) (string, bool) {
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), true
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupHost(ctx, host)
	if err != nil || len(addrs) == 0 {
		return "", false
	}
	return addrs[0], true
}

// Groups converts a FindProxyForURL answer into proxy groups, one per
// entry in order: "PROXY h:p" → "http://h:p", "HTTP"/"HTTPS" likewise,
// "DIRECT" → "DIRECT"; SOCKS entries are ignored.
func Groups(answer string) ([][]string, error) {
	var out [][]string
	for _, e := range strings.Split(answer, ";") {
		f := strings.Fields(e)
		if len(f) == 0 {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "DIRECT":
			out = append(out, []string{"DIRECT"})
		case "PROXY", "HTTP", "HTTPS":
			if len(f) != 2 || strings.ContainsAny(f[1], "/|") {
				return nil, fmt.Errorf("%w: malformed entry %q", ErrPAC, strings.TrimSpace(e))
			}
			scheme := "http://"
			if strings.EqualFold(f[0], "HTTPS") {
				scheme = "https://"
			}
			out = append(out, []string{scheme + f[1]})
		case "SOCKS", "SOCKS4", "SOCKS5":
		default:
			return nil, fmt.Errorf("%w: unknown entry %q", ErrPAC, strings.TrimSpace(e))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: answer %q names no usable proxy", ErrPAC, answer)
	}
	return out, nil
}
