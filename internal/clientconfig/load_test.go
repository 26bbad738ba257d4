package clientconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// writeTree creates files (path → content) under a temp dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, c := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A layout in the style of the shipped cvmfs-config-default package.
var etcFiles = map[string]string{
	"etc/cvmfs/default.conf": `# shipped defaults
CVMFS_CACHE_BASE=/var/lib/cvmfs
CVMFS_QUOTA_LIMIT=4000
CVMFS_TIMEOUT=5
CVMFS_TIMEOUT_DIRECT=10
readonly CVMFS_USER=cvmfs
CVMFS_USER=root
export CVMFS_KEYS_DIR=/etc/cvmfs/keys
`,
	"etc/cvmfs/default.d/50-cern.conf": `CVMFS_DEFAULT_DOMAIN=cern.ch
CVMFS_CONFIG_REPOSITORY=cvmfs-config.cern.ch
`,
	"etc/cvmfs/default.d/60-site.conf": "CVMFS_HTTP_PROXY='http://squid1:3128|http://squid2:3128;DIRECT'\n",
	"etc/cvmfs/default.local": `CVMFS_QUOTA_LIMIT=20000   # site disk is large
CVMFS_CONFIG_REPOSITORY=evil.example.org
CVMFS_QUOTA_LIMTI=1
`,
	"cvmfs/cvmfs-config.cern.ch/etc/cvmfs/default.conf": "CVMFS_USE_GEOAPI=yes\nCVMFS_PAC_URLS=\"http://grid-wpad/wpad.dat;auto\"\n",
	"cvmfs/cvmfs-config.cern.ch/etc/cvmfs/domain.d/cern.ch.conf": `if [ "$CVMFS_CONFIG_REPO_DEFAULT_ENV" = "" ]; then
  CVMFS_SERVER_URL=${CVMFS_SERVER_URL:="http://s1.cern.ch/cvmfs/@fqrn@;http://s2.gridpp/cvmfs/@fqrn@"}
  CVMFS_KEYS_DIR=/cvmfs/cvmfs-config.cern.ch/etc/cvmfs/keys/cern.ch
fi
[ -z "$CVMFS_MAX_TTL" ] && CVMFS_MAX_TTL=30
[ -n "$CVMFS_MAX_TTL" ] || CVMFS_MAX_TTL=99
`,
	"etc/cvmfs/domain.d/cern.ch.local": `CVMFS_TIMEOUT=${CVMFS_TIMEOUT:-7}
CVMFS_BACKOFF_MAX=$((5*4))
hostname=$(hostname)
. /etc/cvmfs/site-secret.sh
`,
	"etc/cvmfs/config.d/atlas.cern.ch.conf": `CVMFS_REPOSITORY_TAG="prod-@org@"
CVMFS_CLAIM_OWNERSHIP=No
CVMFS_ALIEN_CACHE=/shared/@fqrn@   # known key
if [[ $CVMFS_REPOSITORY_TAG == prod-* ]]; then CVMFS_AUTO_UPDATE=off; fi
`,
	"etc/cvmfs/config.d/atlas.cern.ch.local": "CVMFS_HIDE_MAGIC_XATTRS=yes\n",
	"extra.conf":                             "CVMFS_MAX_RETRIES=3\nCVMFS_FALLBACK_PROXY=http://fb:3128\n",
}

func loadTree(t *testing.T, fqrn string, over ...string) (*Config, string) {
	t.Helper()
	root := writeTree(t, etcFiles)
	c, err := Load(fqrn, Options{ConfigDir: filepath.Join(root, "etc/cvmfs"), MountDir: filepath.Join(root, "cvmfs"),
		ExtraFiles: []string{filepath.Join(root, "extra.conf")}, Overrides: over})
	if err != nil {
		t.Fatal(err)
	}
	return c, root
}

func TestLayering(t *testing.T) {
	c, root := loadTree(t, "atlas", "CVMFS_TIMEOUT_DIRECT=3", "CVMFS_NFILES=65536")
	if c.FQRN != "atlas.cern.ch" {
		t.Fatalf("default domain not applied: %s", c.FQRN)
	}
	want := []string{"http://s1.cern.ch/cvmfs/atlas.cern.ch", "http://s2.gridpp/cvmfs/atlas.cern.ch"}
	if got := c.ServerURLs(); !reflect.DeepEqual(got, want) {
		t.Fatalf("server URLs %v", got)
	}
	checks := map[string]any{
		"quota":   [2]any{c.QuotaLimitMB(), int64(20000)},
		"timeout": [2]any{c.Timeout(), 5 * time.Second}, // ${X:-7} keeps 5
		"direct":  [2]any{c.TimeoutDirect(), 3 * time.Second},
		"retries": [2]any{c.MaxRetries(), 3},
		"tag":     [2]any{c.RepositoryTag(), "prod-atlas"},
		"claim":   [2]any{c.ClaimOwnership(), false},
		"update":  [2]any{c.AutoUpdate(), false},
		"hide":    [2]any{c.HideMagicXattrs(), true},
		"maxttl":  [2]any{c.MaxTTL(), 30 * time.Minute},
		"nfiles":  [2]any{c.NFiles(), int64(65536)},
		"keys":    [2]any{c.KeysDir(), "/cvmfs/cvmfs-config.cern.ch/etc/cvmfs/keys/cern.ch"},
		"pac":     [2]any{strings.Join(c.PACURLs(), " "), "http://grid-wpad/wpad.dat http://wpad/wpad.dat"},
		"backoff": [2]any{c.BackoffMax(), 10 * time.Second}, // $((...)) not evaluated: code default
		"user":    [2]any{c.str("CVMFS_USER"), "cvmfs"},     // readonly in its file
		"cfgrepo": [2]any{c.str("CVMFS_CONFIG_REPOSITORY"), "cvmfs-config.cern.ch"},
		"rst":     [2]any{c.ProxyResetAfter(), time.Duration(0)},
		"lowspd":  [2]any{c.LowSpeedLimit(), int64(1024)},
	}
	for name, v := range checks {
		pair := v.([2]any)
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s: got %v, want %v", name, pair[0], pair[1])
		}
	}
	p, _ := c.Lookup("CVMFS_QUOTA_LIMIT")
	if p.Origin.File != filepath.Join(root, "etc/cvmfs/default.local") || p.Origin.Line != 1 ||
		len(p.Overrode) != 1 || p.Overrode[0].Value != "4000" {
		t.Fatalf("quota origin %+v", p)
	}
	if p, _ := c.Lookup("CVMFS_TIMEOUT_DIRECT"); p.Origin.Kind != KindOption {
		t.Fatalf("-o origin %+v", p)
	}
	ex := c.Explain("CVMFS_SERVER_URL")
	if !strings.Contains(ex, "domain.d/cern.ch.conf:2") {
		t.Fatalf("explain: %s", ex)
	}
	fc, err := c.FetchConfig()
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Proxies) != 2 || fc.Proxies[0][1] != "http://squid2:3128" || fc.FallbackProxies[0][0] != "http://fb:3128" {
		t.Fatalf("fetch config proxies %v / %v", fc.Proxies, fc.FallbackProxies)
	}
}

func TestWarningsNameFileAndLine(t *testing.T) {
	c, root := loadTree(t, "atlas.cern.ch", "CVMFS_SERVR_URL=x", "CVMFS_CONFIG_REPOSITORY=other")
	var ws []string
	for _, w := range c.Warnings {
		ws = append(ws, strings.TrimPrefix(w.String(), root+"/"))
	}
	all := strings.Join(ws, "\n")
	for _, want := range []string{
		"etc/cvmfs/default.conf:7: CVMFS_USER is readonly",
		"etc/cvmfs/default.local:2: CVMFS_CONFIG_REPOSITORY cannot be changed",
		"etc/cvmfs/default.local:3: unknown parameter CVMFS_QUOTA_LIMTI",
		"etc/cvmfs/domain.d/cern.ch.local:2: CVMFS_BACKOFF_MAX not assigned",
		"etc/cvmfs/domain.d/cern.ch.local:3: hostname not assigned: its value is not evaluated: a command substitution",
		"etc/cvmfs/domain.d/cern.ch.local:4: command \".\" not executed",
		"-o option: unknown parameter CVMFS_SERVR_URL",
		"-o option: CVMFS_CONFIG_REPOSITORY can only be set",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing warning %q in:\n%s", want, all)
		}
	}
	if strings.Contains(all, "ALIEN_CACHE") {
		t.Error("known key reported as unknown")
	}
}

func TestBadValueIsOneClearError(t *testing.T) {
	dir := writeTree(t, map[string]string{"config.d/a.b.conf": "CVMFS_TIMEOUT=fast\n"})
	_, err := Load("a.b", Options{ConfigDir: dir})
	if !errors.Is(err, ErrBadValue) || !strings.Contains(err.Error(), "a.b.conf:1") || !strings.Contains(err.Error(), "integer") {
		t.Fatalf("got %v", err)
	}
	dir = writeTree(t, map[string]string{"config.d/a.b.conf": "if [ x; then\n"})
	if _, err = Load("a.b", Options{ConfigDir: dir}); err == nil || !strings.Contains(err.Error(), "a.b.conf:") {
		t.Fatalf("syntax error: %v", err)
	}
	if _, err = Load("a.b", Options{ConfigDir: t.TempDir(), Overrides: []string{"=x"}}); !errors.Is(err, ErrBadValue) {
		t.Fatalf("bad -o: %v", err)
	}
	_, err = Load("a.b", Options{ConfigDir: t.TempDir(), ExtraFiles: []string{"/nonexistent.conf"}})
	if err == nil || !strings.Contains(err.Error(), "--config") {
		t.Fatalf("missing --config file: %v", err)
	}
}

func TestBuiltinDefaultsWithoutFiles(t *testing.T) {
	c, err := Load("x.example.org", Options{ConfigDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if c.QuotaLimitMB() != 4000 || c.TimeoutDirect() != 10*time.Second || c.HostResetAfter() != 1800*time.Second {
		t.Fatalf("built-in default.conf not applied")
	}
	if p, _ := c.Lookup("CVMFS_QUOTA_LIMIT"); p.Origin.Kind != KindBuiltin {
		t.Fatalf("origin %v", p.Origin)
	}
	if p, _ := c.Lookup("CVMFS_FOLLOW_REDIRECTS"); p.Origin.Kind != KindCode || c.FollowRedirects() {
		t.Fatalf("code default %v", p)
	}
	if _, err := c.FetchConfig(); !errors.Is(err, ErrBadValue) {
		t.Fatalf("empty server list: %v", err)
	}
}

func TestParseOverrides(t *testing.T) {
	got, err := ParseOverrides("CVMFS_SERVER_URL=http://a,b;http://c,CVMFS_TIMEOUT=3")
	if err != nil || !reflect.DeepEqual(got, []string{"CVMFS_SERVER_URL=http://a,b;http://c", "CVMFS_TIMEOUT=3"}) {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := ParseOverrides("nonsense"); err == nil {
		t.Fatal("accepted")
	}
}

// Shipped-style files (BASE_ENV guard, readonly, client profile logic in the
// config repository) evaluate without a single warning.
func TestShippedStyleFilesHaveNoWarnings(t *testing.T) {
	root := writeTree(t, map[string]string{
		"etc/cvmfs/default.conf": `# Don't edit here.  Create /etc/cvmfs/default.local.
CVMFS_CLIENT_PROFILE=
CVMFS_CACHE_BASE=/var/lib/cvmfs
CVMFS_QUOTA_LIMIT=4000
if [ "x$CVMFS_BASE_ENV" = "x" ]; then
  readonly CVMFS_USER=cvmfs
  readonly CVMFS_MOUNT_DIR=/cvmfs
  readonly CVMFS_RELOAD_SOCKETS=/var/run/cvmfs
  readonly CVMFS_BASE_ENV=1
fi
`,
		"etc/cvmfs/default.d/50-cern.conf":  "CVMFS_CONFIG_REPOSITORY=cvmfs-config.cern.ch\nCVMFS_DEFAULT_DOMAIN=cern.ch\n",
		"etc/cvmfs/default.d/90-local.conf": "CVMFS_CLIENT_PROFILE=single\n",
		"cvmfs/cvmfs-config.cern.ch/etc/cvmfs/default.conf": `
if [ "$CVMFS_CLIENT_PROFILE" = "single" ]; then
  if [ "$CVMFS_HTTP_PROXY" = "" ]; then
    CVMFS_HTTP_PROXY="auto;DIRECT"
  fi
fi
CVMFS_PAC_URLS="http://grid-wpad/wpad.dat;http://wpad/wpad.dat"
CVMFS_CACHE_myinst_TYPE=posix
: ${CVMFS_MAX_TTL:=45}
`,
	})
	c, err := Load("sft.cern.ch", Options{ConfigDir: filepath.Join(root, "etc/cvmfs"), MountDir: filepath.Join(root, "cvmfs")})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) != 0 {
		t.Fatalf("unexpected warnings: %v", c.Warnings)
	}
	fc, err := c.FetchConfig()
	if err == nil || c.HTTPProxy() != "auto;DIRECT" || len(c.PACURLs()) != 2 {
		t.Fatalf("proxy %q pac %v (err %v: no servers configured)", c.HTTPProxy(), c.PACURLs(), err)
	}
	_ = fc
	if c.MaxTTL() != 45*time.Minute {
		t.Fatalf(": ${X:=d} not applied: %v", c.MaxTTL())
	}
}
