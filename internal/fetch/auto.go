package fetch

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/ucvm/ucvm/internal/clientconfig/pac"
)

// ResolveAuto returns cfg with every "auto" proxy group replaced: by the
// http_proxy environment variable if set, else by the answer of the first
// PAC file of cfg.PACURLs that downloads (DIRECT, within cfg.Timeout) and
// evaluates, for FindProxyForURL(<first host>/.cvmfspublished, <its host>).
// An auto group that cannot be resolved is dropped; if no group remains
// the error names the fix.
func ResolveAuto(ctx context.Context, cfg Config) (Config, error) {
	if !hasAuto(cfg.Proxies) {
		return cfg, nil
	}
	resolved, err := autoGroups(ctx, cfg)
	var out [][]string
	for _, g := range cfg.Proxies {
		if len(g) == 1 && g[0] == Auto {
			out = append(out, resolved...)
			continue
		}
		var keep []string
		for _, m := range g {
			if m != Auto {
				keep = append(keep, m)
			}
		}
		if len(keep) > 0 {
			out = append(out, keep)
		}
	}
	if len(out) == 0 {
		return cfg, fmt.Errorf("%w: CVMFS_HTTP_PROXY=auto could not be resolved (%v); set CVMFS_PAC_URLS to a reachable PAC file or name the proxies", ErrBadConfig, err)
	}
	if err != nil && cfg.Logger != nil {
		cfg.Logger.Warn("proxy auto-discovery failed; auto group dropped", "err", err)
	}
	cfg.Proxies = out
	return cfg, nil
}

func hasAuto(groups [][]string) bool {
	for _, g := range groups {
		for _, m := range g {
			if m == Auto {
				return true
			}
		}
	}
	return false
}

func autoGroups(ctx context.Context, cfg Config) ([][]string, error) {
	if p := os.Getenv("http_proxy"); p != "" {
		return ParseProxyList(p)
	}
	if len(cfg.Hosts) == 0 {
		return nil, fmt.Errorf("%w: no hosts", ErrBadConfig)
	}
	target := strings.TrimRight(cfg.Hosts[0], "/") + "/.cvmfspublished"
	host := ""
	if u, err := url.Parse(cfg.Hosts[0]); err == nil {
		host = u.Hostname()
	}
	var errs []string
	for _, pu := range cfg.PACURLs {
		src, err := downloadPAC(ctx, cfg, pu)
		if err == nil {
			var answer string
			if answer, err = pac.Evaluate(string(src), target, host, pac.Options{Timeout: cfg.Timeout}); err == nil {
				var g [][]string
				if g, err = pac.Groups(answer); err == nil {
					return g, nil
				}
			}
		}
		errs = append(errs, fmt.Sprintf("%s: %v", pu, err))
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("no PAC URLs (CVMFS_PAC_URLS) configured")
	}
	return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
}

// downloadPAC fetches one PAC file directly (never through a proxy).
func downloadPAC(ctx context.Context, cfg Config, raw string) ([]byte, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "file") {
		return nil, fmt.Errorf("PAC URL %q is not http(s):// or file://", raw)
	}
	base, rel := u.Scheme+"://"+u.Host, strings.TrimLeft(u.Path, "/")
	if u.Scheme == "file" {
		base, rel = "file://"+pathDir(u.Path), pathBase(u.Path)
	}
	if u.RawQuery != "" {
		rel += "?" + u.RawQuery
	}
	d := DefaultConfig()
	d.Hosts, d.Timeout, d.TimeoutDirect, d.MaxRetries = []string{base}, cfg.Timeout, cfg.TimeoutDirect, 0
	d.Logger, d.UserAgent, d.SpoolLimit = cfg.Logger, cfg.UserAgent, -1
	f, err := New(d)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.GetBytes(ctx, rel, 1<<20)
}

func pathDir(p string) string {
	i := strings.LastIndex(p, "/")
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

func pathBase(p string) string { return p[strings.LastIndex(p, "/")+1:] }
