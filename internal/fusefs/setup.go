package fusefs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ucvm/ucvm/internal/cache"
	"github.com/ucvm/ucvm/internal/clientconfig"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/fetch"
	"github.com/ucvm/ucvm/internal/reader"
)

// CacheDir returns the cache directory of a configuration: CVMFS_CACHE_DIR
// verbatim, else CVMFS_CACHE_BASE plus "/shared" (or "/<fqrn>" with
// CVMFS_SHARED_CACHE=no), as the real client does.
func CacheDir(cc *clientconfig.Config) string {
	if d, ok := cc.Get("CVMFS_CACHE_DIR"); ok && d != "" {
		return d
	}
	sub := "shared"
	if v, ok := cc.Get("CVMFS_SHARED_CACHE"); ok && clientconfig.IsOff(v) {
		sub = cc.FQRN
	}
	return filepath.Join(cc.CacheBase(), sub)
}

// Setup is everything a mount needs, built from the configuration.
type Setup struct {
	Mount   MountConfig
	Cache   *cache.Cache
	Fetcher *fetch.Fetcher
}

// Close releases the cache and connections.
func (s *Setup) Close() {
	s.Fetcher.Close()
	s.Cache.Close()
}

// NewSetup translates the effective configuration into a MountConfig: the
// download manager, the cache with its quota, the master keys, tag or root
// hash, ownership and maps, and the update settings.
func NewSetup(ctx context.Context, cc *clientconfig.Config, mountpoint string, log *slog.Logger) (*Setup, error) {
	fc, err := cc.FetchConfig()
	if err != nil {
		return nil, err
	}
	fc.Logger = log
	if fc, err = fetch.ResolveAuto(ctx, fc); err != nil {
		return nil, err
	}
	keyFiles := cc.PublicKeys()
	if len(keyFiles) == 0 && cc.RootHash() == "" {
		return nil, fmt.Errorf("no master public key for %s: set CVMFS_PUBLIC_KEY or put %s.pub into CVMFS_KEYS_DIR (%s)", cc.FQRN, cc.FQRN, cc.KeysDir())
	}
	masters, err := keys.LoadPublic(keyFiles...)
	if err != nil && cc.RootHash() == "" {
		return nil, fmt.Errorf("master keys of %s: %w", cc.FQRN, err)
	}
	uidMap, err := LoadIDMap(cc.UIDMap())
	if err != nil {
		return nil, err
	}
	gidMap, err := LoadIDMap(cc.GIDMap())
	if err != nil {
		return nil, err
	}
	fe, err := fetch.New(fc)
	if err != nil {
		return nil, err
	}
	c, err := cache.Open(CacheDir(cc), cache.Options{QuotaBytes: cc.QuotaLimitMB() << 20, WriteBehind: cc.WriteBehind(), Logger: log})
	if err != nil {
		fe.Close()
		return nil, err
	}
	attempts := time.Duration(len(fc.Hosts)*(fc.MaxRetries+1)*max(1, proxyCount(fc)) + 1)
	cfg := Config{
		FQRN: cc.FQRN, ClaimOwnership: cc.ClaimOwnership(), UIDMap: uidMap, GIDMap: gidMap,
		HideMagicXattrs: cc.HideMagicXattrs(), AutoUpdate: cc.AutoUpdate(),
		Fixed:     cc.RepositoryTag() != "" || cc.RootHash() != "",
		OpTimeout: max(30*time.Second, 2*attempts*max(fc.Timeout, fc.TimeoutDirect)),
		MaxTTL:    cc.MaxTTL(), Network: fe, Cache: c, Logger: log,
		BootLayerDir: cc.BootLayerDir(),
	}
	open := ReaderOpener(reader.Options{FQRN: cc.FQRN, Source: reader.FetchSource{F: fe}, Cache: c,
		MasterKeys: masters, Tag: cc.RepositoryTag(), RootHash: cc.RootHash()})
	return &Setup{Mount: MountConfig{Config: cfg, Mountpoint: mountpoint, Open: open,
		AllowOther: os.Geteuid() == 0}, // non-root: needs user_allow_other in /etc/fuse.conf
		Cache: c, Fetcher: fe}, nil
}

func proxyCount(fc fetch.Config) int {
	n := 0
	for _, g := range append(fc.Proxies, fc.FallbackProxies...) {
		n += len(g)
	}
	return n
}
