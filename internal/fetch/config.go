package fetch

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
)

// Direct is the proxy keyword for "no proxy".
const Direct = "DIRECT"

// Auto is the proxy group keyword for PAC auto-discovery.
const Auto = "auto"

// DefaultUserAgent is sent with every HTTP request.
const DefaultUserAgent = "ucvm/0.1 (cvmfs Fuse compatible)"

// Config configures a Fetcher. Start from DefaultConfig.
type Config struct {
	// Hosts are base URLs tried in order: http(s)://, file:// or a
	// directory path. Use ParseHostList for CVMFS_SERVER_URL.
	Hosts []string
	// Proxies are proxy groups in failover order; each group's members are
	// load-balanced. Members are "http://host:port" or Direct. Empty means
	// one group {Direct}. Use ParseProxyList for CVMFS_HTTP_PROXY.
	Proxies [][]string
	// FallbackProxies are appended after Proxies; when present, Direct is
	// stripped from both lists (spec §10.3).
	FallbackProxies [][]string
	// Timeout (via a proxy) and TimeoutDirect (without) bound connecting
	// and every low-speed window of a transfer.
	Timeout, TimeoutDirect time.Duration
	// LowSpeedLimit in bytes/s: slower for a whole timeout window fails
	// the attempt. 0 still fails an attempt with no progress at all.
	LowSpeedLimit int64
	// MaxRetries same-path retries after connection/timeout errors.
	MaxRetries int
	// BackoffInit, BackoffMax: the first retry sleeps random [0,Init],
	// then doubling, capped at Max.
	BackoffInit, BackoffMax time.Duration
	// ProxyResetAfter, HostResetAfter: return to the primary proxy group /
	// first host after this long on a backup (0: never).
	ProxyResetAfter, HostResetAfter time.Duration
	// PACURLs are the PAC files tried by ResolveAuto for "auto" groups
	// (CVMFS_PAC_URLS; "auto" already translated to http://wpad/wpad.dat).
	PACURLs []string
	// FollowRedirects follows up to 4 redirects; otherwise 3xx is a host error.
	FollowRedirects bool
	// UserAgent header; DefaultUserAgent if empty.
	UserAgent string
	// SpoolLimit is the largest object whose bytes are kept in memory to
	// serve collapsed concurrent requests (memory is only used beyond
	// 1 MiB while somebody waits); <0 disables collapsing.
	SpoolLimit int64
	// MaxConnsPerHost bounds parallel connections per host/proxy (0: 16).
	MaxConnsPerHost int
	// Logger for failover events; slog.Default() if nil.
	Logger *slog.Logger
}

// DefaultConfig returns the code-level defaults of the real client
// (mountpoint.h kDefault*): timeouts 5 s, 1 retry, backoff 2 s..10 s,
// low-speed limit 1024 B/s, proxy reset 300 s, host reset 1800 s.
func DefaultConfig() Config {
	return Config{
		Timeout: 5 * time.Second, TimeoutDirect: 5 * time.Second,
		LowSpeedLimit: 1024, MaxRetries: 1,
		BackoffInit: 2 * time.Second, BackoffMax: 10 * time.Second,
		ProxyResetAfter: 300 * time.Second, HostResetAfter: 1800 * time.Second,
		SpoolLimit: 32 << 20, MaxConnsPerHost: 16,
	}
}

// ExpandTemplates replaces @fqrn@ by fqrn and @org@ by its first label.
func ExpandTemplates(s, fqrn string) string {
	org, _, _ := strings.Cut(fqrn, ".")
	return strings.NewReplacer("@fqrn@", fqrn, "@org@", org).Replace(s)
}

// ParseHostList splits a CVMFS_SERVER_URL value (";"-separated), expands
// @fqrn@/@org@ and drops empty elements and trailing slashes.
func ParseHostList(s, fqrn string) []string {
	var out []string
	for _, h := range strings.Split(ExpandTemplates(s, fqrn), ";") {
		h = strings.TrimRight(strings.TrimSpace(h), "/")
		if h != "" {
			out = append(out, h)
		}
	}
	return out
}

// ParseProxyList parses a CVMFS_HTTP_PROXY value: groups separated by ";",
// load-balanced members by "|"; "DIRECT" and "auto" are keywords; a member
// without scheme gets "http://". Empty groups are dropped.
func ParseProxyList(s string) ([][]string, error) {
	var groups [][]string
	for _, g := range strings.Split(s, ";") {
		var members []string
		for _, m := range strings.Split(g, "|") {
			m = strings.TrimSpace(m)
			if m == "" {
				continue
			}
			p, err := normalizeProxy(m)
			if err != nil {
				return nil, err
			}
			members = append(members, p)
		}
		if len(members) > 0 {
			groups = append(groups, members)
		}
	}
	return groups, nil
}

func normalizeProxy(m string) (string, error) {
	switch {
	case strings.EqualFold(m, Direct):
		return Direct, nil
	case strings.EqualFold(m, Auto):
		return Auto, nil
	}
	if !strings.Contains(m, "://") {
		m = "http://" + m
	}
	u, err := url.Parse(m)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(m, " \t\n") {
		return "", fmt.Errorf("%w: proxy %q is not [http://]host:port, DIRECT or auto", ErrBadConfig, m)
	}
	u.Path = ""
	return u.String(), nil
}

// FormatProxyList is the inverse of ParseProxyList.
func FormatProxyList(groups [][]string) string {
	gs := make([]string, len(groups))
	for i, g := range groups {
		gs[i] = strings.Join(g, "|")
	}
	return strings.Join(gs, ";")
}

// chain builds the effective proxy groups: regular then fallback, with
// DIRECT stripped when fallback proxies exist (download.cc StripDirect).
func chain(regular, fallback [][]string) [][]string {
	if len(fallback) == 0 {
		if len(regular) == 0 {
			return [][]string{{Direct}}
		}
		return cloneGroups(regular)
	}
	var out [][]string
	for _, g := range append(cloneGroups(regular), cloneGroups(fallback)...) {
		var keep []string
		for _, m := range g {
			if m != Direct {
				keep = append(keep, m)
			}
		}
		if len(keep) > 0 {
			out = append(out, keep)
		}
	}
	if len(out) == 0 {
		return [][]string{{Direct}}
	}
	return out
}

func cloneGroups(gs [][]string) [][]string {
	out := make([][]string, len(gs))
	for i, g := range gs {
		out[i] = append([]string(nil), g...)
	}
	return out
}

func (c *Config) validate() error {
	if len(c.Hosts) == 0 {
		return fmt.Errorf("%w: no hosts (set CVMFS_SERVER_URL)", ErrBadConfig)
	}
	for _, h := range c.Hosts {
		if !validHost(h) {
			return fmt.Errorf("%w: host %q is not an http(s):// or file:// URL or an absolute directory (check CVMFS_SERVER_URL)", ErrBadConfig, h)
		}
	}
	for _, g := range append(cloneGroups(c.Proxies), c.FallbackProxies...) {
		for _, m := range g {
			if m == Auto {
				return fmt.Errorf("%w: proxy group \"auto\" must be resolved first (fetch.ResolveAuto)", ErrBadConfig)
			}
		}
	}
	if c.Timeout <= 0 {
		c.Timeout = 5 * time.Second
	}
	if c.TimeoutDirect <= 0 {
		c.TimeoutDirect = c.Timeout
	}
	if c.BackoffMax < c.BackoffInit {
		c.BackoffMax = c.BackoffInit
	}
	if c.MaxConnsPerHost <= 0 {
		c.MaxConnsPerHost = 16
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

func validHost(h string) bool {
	if strings.HasPrefix(h, "/") || strings.HasPrefix(h, "file:///") {
		return true
	}
	u, err := url.Parse(h)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.RawQuery == "" && u.Fragment == ""
}
