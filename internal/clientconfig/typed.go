package clientconfig

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ucvm/ucvm/internal/fetch"
)

// kinds of typed parameters, checked by Load.
const (
	tInt  = "an integer"
	tBool = "yes/no (yes|on|1|true or no|off|0|false)"
)

var typedKeys = map[string]string{
	"CVMFS_TIMEOUT": tInt, "CVMFS_TIMEOUT_DIRECT": tInt, "CVMFS_MAX_RETRIES": tInt,
	"CVMFS_BACKOFF_INIT": tInt, "CVMFS_BACKOFF_MAX": tInt, "CVMFS_PROXY_RESET_AFTER": tInt,
	"CVMFS_HOST_RESET_AFTER": tInt, "CVMFS_QUOTA_LIMIT": tInt, "CVMFS_NFILES": tInt,
	"CVMFS_LOW_SPEED_LIMIT": tInt, "CVMFS_MAX_TTL": tInt, "UCVM_WRITE_BEHIND": tInt,
	"CVMFS_CLAIM_OWNERSHIP": tBool, "CVMFS_AUTO_UPDATE": tBool, "CVMFS_HIDE_MAGIC_XATTRS": tBool,
	"CVMFS_SYSTEMD_NOKILL": tBool, "CVMFS_FOLLOW_REDIRECTS": tBool, "CVMFS_SHARED_CACHE": tBool,
}

// IsOn reports whether v is yes|on|1|true (case-insensitive).
func IsOn(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "on", "1", "true":
		return true
	}
	return false
}

// IsOff reports whether v is no|off|0|false (case-insensitive).
func IsOff(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "no", "off", "0", "false":
		return true
	}
	return false
}

// validate rejects malformed typed values with file:line and the fix.
func (c *Config) validate() error {
	keys := make([]string, 0, len(typedKeys))
	for k := range typedKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p, ok := c.params[k]
		if !ok {
			continue
		}
		v := strings.TrimSpace(p.Value.Value)
		bad := false
		switch typedKeys[k] {
		case tInt:
			_, err := strconv.ParseInt(v, 10, 64)
			bad = err != nil
		case tBool:
			bad = !IsOn(v) && !IsOff(v)
		}
		if bad {
			return fmt.Errorf("%w: %s: %s=%q must be %s", ErrBadValue, p.Origin, k, p.Value.Value, typedKeys[k])
		}
	}
	if _, err := fetch.ParseProxyList(c.str("CVMFS_HTTP_PROXY")); err != nil {
		return fmt.Errorf("%s: CVMFS_HTTP_PROXY: %w", c.originOf("CVMFS_HTTP_PROXY"), err)
	}
	if _, err := fetch.ParseProxyList(c.str("CVMFS_FALLBACK_PROXY")); err != nil {
		return fmt.Errorf("%s: CVMFS_FALLBACK_PROXY: %w", c.originOf("CVMFS_FALLBACK_PROXY"), err)
	}
	return nil
}

func (c *Config) originOf(k string) Origin {
	p, _ := c.Lookup(k)
	return p.Origin
}

// str returns the value or code default of key.
func (c *Config) str(key string) string {
	p, _ := c.Lookup(key)
	return strings.TrimSpace(p.Value.Value)
}

func (c *Config) num(key string) int64 {
	n, err := strconv.ParseInt(c.str(key), 10, 64)
	if err != nil { // validated by Load; fall back to the code default
		n, _ = strconv.ParseInt(codeDefaults[key], 10, 64)
	}
	return n
}

func (c *Config) seconds(key string) time.Duration { return time.Duration(c.num(key)) * time.Second }
func (c *Config) on(key string) bool               { return IsOn(c.str(key)) }

// ServerURLs: CVMFS_SERVER_URL split, templates expanded.
func (c *Config) ServerURLs() []string { return fetch.ParseHostList(c.str("CVMFS_SERVER_URL"), c.FQRN) }

// HTTPProxy is the raw CVMFS_HTTP_PROXY.
func (c *Config) HTTPProxy() string { return c.str("CVMFS_HTTP_PROXY") }

// FallbackProxy is the raw CVMFS_FALLBACK_PROXY.
func (c *Config) FallbackProxy() string { return c.str("CVMFS_FALLBACK_PROXY") }

// PACURLs: CVMFS_PAC_URLS split at ";", "auto" meaning http://wpad/wpad.dat.
func (c *Config) PACURLs() []string {
	var out []string
	for _, u := range strings.Split(c.str("CVMFS_PAC_URLS"), ";") {
		u = strings.TrimSpace(u)
		if strings.EqualFold(u, "auto") {
			u = "http://wpad/wpad.dat"
		}
		if u != "" {
			out = append(out, u)
		}
	}
	return out
}

// KeysDir is CVMFS_KEYS_DIR.
func (c *Config) KeysDir() string { return c.str("CVMFS_KEYS_DIR") }

// PublicKeys lists the master public key files: CVMFS_PUBLIC_KEY (":"
// separated) if set, else every *.pub in CVMFS_KEYS_DIR (the code's
// precedence, spec §15.3).
func (c *Config) PublicKeys() []string {
	if v := c.str("CVMFS_PUBLIC_KEY"); v != "" {
		var out []string
		for _, k := range strings.Split(v, ":") {
			if k = strings.TrimSpace(k); k != "" {
				out = append(out, k)
			}
		}
		return out
	}
	keys, _ := filepath.Glob(filepath.Join(c.KeysDir(), "*.pub"))
	sort.Strings(keys)
	return keys
}

// CacheBase is CVMFS_CACHE_BASE.
func (c *Config) CacheBase() string { return c.str("CVMFS_CACHE_BASE") }

// QuotaLimitMB is CVMFS_QUOTA_LIMIT in MB; <= 0 means unmanaged.
func (c *Config) QuotaLimitMB() int64 { return c.num("CVMFS_QUOTA_LIMIT") }

// RepositoryTag is CVMFS_REPOSITORY_TAG ("" = follow the newest revision).
func (c *Config) RepositoryTag() string { return c.str("CVMFS_REPOSITORY_TAG") }

// RootHash is CVMFS_ROOT_HASH ("" = follow the manifest).
func (c *Config) RootHash() string { return c.str("CVMFS_ROOT_HASH") }

// Timeout is CVMFS_TIMEOUT (via a proxy).
func (c *Config) Timeout() time.Duration { return c.seconds("CVMFS_TIMEOUT") }

// TimeoutDirect is CVMFS_TIMEOUT_DIRECT (without proxy).
func (c *Config) TimeoutDirect() time.Duration { return c.seconds("CVMFS_TIMEOUT_DIRECT") }

// MaxRetries is CVMFS_MAX_RETRIES.
func (c *Config) MaxRetries() int { return int(c.num("CVMFS_MAX_RETRIES")) }

// BackoffInit is CVMFS_BACKOFF_INIT.
func (c *Config) BackoffInit() time.Duration { return c.seconds("CVMFS_BACKOFF_INIT") }

// BackoffMax is CVMFS_BACKOFF_MAX.
func (c *Config) BackoffMax() time.Duration { return c.seconds("CVMFS_BACKOFF_MAX") }

// ProxyResetAfter is CVMFS_PROXY_RESET_AFTER (0 = never).
func (c *Config) ProxyResetAfter() time.Duration { return c.seconds("CVMFS_PROXY_RESET_AFTER") }

// HostResetAfter is CVMFS_HOST_RESET_AFTER (0 = never).
func (c *Config) HostResetAfter() time.Duration { return c.seconds("CVMFS_HOST_RESET_AFTER") }

// ClaimOwnership is CVMFS_CLAIM_OWNERSHIP.
func (c *Config) ClaimOwnership() bool { return c.on("CVMFS_CLAIM_OWNERSHIP") }

// UIDMap is the CVMFS_UID_MAP file ("" = none); see ParseIDMap.
func (c *Config) UIDMap() string { return c.str("CVMFS_UID_MAP") }

// GIDMap is the CVMFS_GID_MAP file ("" = none); see ParseIDMap.
func (c *Config) GIDMap() string { return c.str("CVMFS_GID_MAP") }

// AutoUpdate is CVMFS_AUTO_UPDATE (default yes).
func (c *Config) AutoUpdate() bool { return c.on("CVMFS_AUTO_UPDATE") }

// BootLayerDir is UCVM_BOOT_LAYER (ucvm's own parameter, "" = none): the
// directory where the client writes the boot layer of the mounted revision.
func (c *Config) BootLayerDir() string { return c.str("UCVM_BOOT_LAYER") }

// WriteBehind is UCVM_WRITE_BEHIND (ucvm's own parameter, seconds; 0 =
// off): how long the cache may hold writes while it is busy.
func (c *Config) WriteBehind() time.Duration {
	return time.Duration(c.num("UCVM_WRITE_BEHIND")) * time.Second
}

// HideMagicXattrs is CVMFS_HIDE_MAGIC_XATTRS.
func (c *Config) HideMagicXattrs() bool { return c.on("CVMFS_HIDE_MAGIC_XATTRS") }

// SystemdNoKill is CVMFS_SYSTEMD_NOKILL.
func (c *Config) SystemdNoKill() bool { return c.on("CVMFS_SYSTEMD_NOKILL") }

// NFiles is CVMFS_NFILES (open file limit).
func (c *Config) NFiles() int64 { return c.num("CVMFS_NFILES") }

// LowSpeedLimit is CVMFS_LOW_SPEED_LIMIT in bytes/s.
func (c *Config) LowSpeedLimit() int64 { return c.num("CVMFS_LOW_SPEED_LIMIT") }

// MaxTTL is CVMFS_MAX_TTL (given in minutes; 0 = no cap).
func (c *Config) MaxTTL() time.Duration { return time.Duration(c.num("CVMFS_MAX_TTL")) * time.Minute }

// FollowRedirects is CVMFS_FOLLOW_REDIRECTS.
func (c *Config) FollowRedirects() bool { return c.on("CVMFS_FOLLOW_REDIRECTS") }

// FetchConfig translates the network parameters for package fetch. Proxy
// groups "auto" remain to be resolved with fetch.ResolveAuto (PACURLs).
func (c *Config) FetchConfig() (fetch.Config, error) {
	f := fetch.DefaultConfig()
	f.Hosts = c.ServerURLs()
	if len(f.Hosts) == 0 {
		return f, fmt.Errorf("%w: CVMFS_SERVER_URL is empty for %s (set it in config.d/%s.conf or with -o CVMFS_SERVER_URL=...)", ErrBadValue, c.FQRN, c.FQRN)
	}
	var err error
	if f.Proxies, err = fetch.ParseProxyList(c.HTTPProxy()); err != nil {
		return f, err
	}
	if f.FallbackProxies, err = fetch.ParseProxyList(c.FallbackProxy()); err != nil {
		return f, err
	}
	f.Timeout, f.TimeoutDirect = c.Timeout(), c.TimeoutDirect()
	f.LowSpeedLimit, f.MaxRetries = c.LowSpeedLimit(), c.MaxRetries()
	f.BackoffInit, f.BackoffMax = c.BackoffInit(), c.BackoffMax()
	f.ProxyResetAfter, f.HostResetAfter = c.ProxyResetAfter(), c.HostResetAfter()
	f.FollowRedirects = c.FollowRedirects()
	f.PACURLs = c.PACURLs()
	return f, nil
}
