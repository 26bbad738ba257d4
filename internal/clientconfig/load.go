package clientconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// DefaultConfigDir is where the real client's configuration lives.
const DefaultConfigDir = "/etc/cvmfs"

// ErrBadValue: a parameter has a value of the wrong form.
var ErrBadValue = errors.New("bad configuration value")

// Options select the configuration sources.
type Options struct {
	// ConfigDir replaces /etc/cvmfs (--config-dir).
	ConfigDir string
	// MountDir is where a config repository would be mounted (default:
	// CVMFS_MOUNT_DIR, else /cvmfs); its etc/cvmfs is layered in only if
	// it exists.
	MountDir string
	// ExtraFiles are read after all layers (--config), in order.
	ExtraFiles []string
	// Overrides are KEY=VALUE items applied last (-o).
	Overrides []string
}

var overrideKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// ParseOverrides splits a -o argument "K=V,K2=V2" into items; a comma not
// followed by KEY= belongs to the previous value.
func ParseOverrides(s string) ([]string, error) {
	var out []string
	for _, piece := range strings.Split(s, ",") {
		switch {
		case overrideKey.MatchString(piece):
			out = append(out, piece)
		case len(out) > 0:
			out[len(out)-1] += "," + piece
		case piece != "":
			return nil, fmt.Errorf("%w: -o %q: expected KEY=VALUE[,KEY=VALUE...]", ErrBadValue, s)
		}
	}
	return out, nil
}

// Load builds the effective configuration of repository fqrn.
func Load(fqrn string, opt Options) (*Config, error) {
	if opt.ConfigDir == "" {
		opt.ConfigDir = DefaultConfigDir
	}
	if !strings.Contains(fqrn, ".") {
		pre := newConfig(fqrn)
		if _, err := pre.loadDefaults(opt); err != nil {
			return nil, err
		}
		if d, ok := pre.Get("CVMFS_DEFAULT_DOMAIN"); ok && d != "" {
			fqrn += "." + d
		}
	}
	c := newConfig(fqrn)
	if err := c.loadAll(opt); err != nil {
		return nil, err
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// loadDefaults reads default.conf (or the built-in copy) and default.d;
// it returns the then frozen CVMFS_CONFIG_REPOSITORY.
func (c *Config) loadDefaults(opt Options) (string, error) {
	c.set("CVMFS_FQRN", c.FQRN, Origin{Kind: KindClient})
	def := filepath.Join(opt.ConfigDir, "default.conf")
	if _, err := os.Stat(def); err != nil {
		for _, kv := range builtinDefaultConf {
			c.set(kv[0], kv[1], Origin{Kind: KindBuiltin})
		}
	} else if err := c.readFile(def, nil); err != nil {
		return "", err
	}
	parts, _ := filepath.Glob(filepath.Join(opt.ConfigDir, "default.d", "*.conf"))
	sort.Strings(parts)
	for _, p := range parts {
		if err := c.readFile(p, nil); err != nil {
			return "", err
		}
	}
	repo, _ := c.Get("CVMFS_CONFIG_REPOSITORY")
	return repo, nil
}

func (c *Config) loadAll(opt Options) error {
	repo, err := c.loadDefaults(opt)
	if err != nil {
		return err
	}
	frozen := func(k string) bool { return k == "CVMFS_CONFIG_REPOSITORY" }
	repoDir := ""
	if repo != "" && repo != c.FQRN {
		mount := opt.MountDir
		if mount == "" {
			mount, _ = c.Get("CVMFS_MOUNT_DIR")
		}
		if mount == "" {
			mount = "/cvmfs"
		}
		if d := filepath.Join(mount, repo, "etc", "cvmfs"); isDir(d) {
			repoDir = d
		}
	}
	_, domain, _ := strings.Cut(c.FQRN, ".")
	var files []string
	add := func(dir string, names ...string) {
		if dir == "" {
			return
		}
		for _, n := range names {
			files = append(files, filepath.Join(dir, n))
		}
	}
	d := opt.ConfigDir
	add(repoDir, "default.conf")
	add(d, "default.local")
	add(repoDir, "domain.d/"+domain+".conf")
	add(d, "domain.d/"+domain+".conf", "domain.d/"+domain+".local")
	add(repoDir, "config.d/"+c.FQRN+".conf")
	add(d, "config.d/"+c.FQRN+".conf", "config.d/"+c.FQRN+".local")
	for _, f := range files {
		if err := c.readFile(f, frozen); err != nil {
			return err
		}
	}
	for _, f := range opt.ExtraFiles {
		if _, err := os.Stat(f); err != nil {
			return fmt.Errorf("--config %s: %w", f, err)
		}
		if err := c.readFile(f, frozen); err != nil {
			return err
		}
	}
	return c.applyOverrides(opt.Overrides)
}

func (c *Config) applyOverrides(items []string) error {
	for _, kv := range items {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !overrideKey.MatchString(k+"=") {
			return fmt.Errorf("%w: -o %q: expected KEY=VALUE", ErrBadValue, kv)
		}
		o := Origin{Kind: KindOption}
		if k == "CVMFS_CONFIG_REPOSITORY" {
			c.warn(o, "CVMFS_CONFIG_REPOSITORY can only be set in default.conf or default.d; -o ignored")
			continue
		}
		if !isKnown(k) {
			c.warn(o, "unknown parameter %s (typo?)", k)
		}
		c.set(k, v, o)
	}
	return nil
}

// readFile evaluates one file; a missing file is skipped.
func (c *Config) readFile(path string, freeze func(string) bool) error {
	src, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read configuration: %w", err)
	}
	c.Files = append(c.Files, path)
	return c.evalFile(path, src, freeze)
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}
