package update

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// ConfigFile is the optional repository configuration on the scratch disk.
const ConfigFile = "aux/update.conf"

// Config says how to reach the OS repository.
type Config struct {
	FQRN       string   // repository name
	ServerURLs []string // base URLs, @fqrn@ expanded
	Proxy      string   // CVMFS_HTTP_PROXY syntax ("" = DIRECT)
	Keys       string   // public key file or directory ("" = aux/keys/<fqrn>)
	Tag        string   // tag an unpinned boot mounts ("" = the pin's tag line)
	TagSet     bool     // Tag was given explicitly (even empty: newest revision)
	CA         string   // PEM roots for update-pack signatures ("" = system roots)
}

// ErrNoConfig means neither aux/update.conf nor a repository mount was found.
var ErrNoConfig = errors.New("repository configuration not found")

// ParseConfig parses aux/update.conf: key=value lines, # comments; keys
// fqrn, server_urls (";"-separated, @fqrn@ expanded), proxy, keys, tag,
// ca. fqrn and server_urls are required.
func ParseConfig(data string) (Config, error) {
	var c Config
	for n, line := range strings.Split(data, "\n") {
		line = strings.TrimSpace(strings.TrimRight(line, "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return Config{}, fmt.Errorf("line %d %q: want key=value", n+1, line)
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "fqrn":
			c.FQRN = v
		case "server_urls":
			c.ServerURLs = strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ' ' })
		case "proxy":
			c.Proxy = v
		case "keys":
			c.Keys = v
		case "tag":
			c.Tag, c.TagSet = v, true
		case "ca":
			c.CA = v
		default:
			return Config{}, fmt.Errorf("line %d: unknown key %q (fqrn, server_urls, proxy, keys, tag, ca)", n+1, k)
		}
	}
	if c.FQRN == "" || len(c.ServerURLs) == 0 {
		return Config{}, errors.New("fqrn= and server_urls= are required")
	}
	for i, u := range c.ServerURLs {
		c.ServerURLs[i] = strings.ReplaceAll(u, "@fqrn@", c.FQRN)
	}
	return c, nil
}

// LoadConfig reads root/mnt/.rw/aux/update.conf, or else the magic
// attributes of the repository mount root/mnt/.ro.
func LoadConfig(root string) (Config, error) {
	rw := RWDir(root)
	p := filepath.Join(rw, ConfigFile)
	b, err := os.ReadFile(p)
	var c Config
	switch {
	case err == nil:
		if c, err = ParseConfig(string(b)); err != nil {
			return Config{}, fmt.Errorf("%s: %w", p, err)
		}
	case errors.Is(err, os.ErrNotExist):
		if c, err = configFromMount(filepath.Join(root, "mnt/.ro")); err != nil {
			return Config{}, fmt.Errorf("%w: no %s and %w", ErrNoConfig, p, err)
		}
	default:
		return Config{}, err
	}
	if c.Keys == "" {
		c.Keys = filepath.Join(rw, "aux/keys", c.FQRN)
	}
	return c, nil
}

// configFromMount reads user.fqrn, user.host_list and user.proxy.
func configFromMount(mnt string) (Config, error) {
	get := func(name string) (string, error) {
		buf := make([]byte, 64<<10)
		n, err := unix.Getxattr(mnt, "user."+name, buf)
		if err != nil {
			return "", fmt.Errorf("cannot read user.%s of the repository mount %s: %w", name, mnt, err)
		}
		return strings.TrimSpace(string(buf[:n])), nil
	}
	var c Config
	var err error
	if c.FQRN, err = get("fqrn"); err != nil {
		return Config{}, err
	}
	hosts, err := get("host_list")
	if err != nil {
		return Config{}, err
	}
	c.ServerURLs = strings.FieldsFunc(hosts, func(r rune) bool { return r == ';' })
	c.Proxy, _ = get("proxy")
	if len(c.ServerURLs) == 0 {
		return Config{}, fmt.Errorf("repository mount %s reports no servers", mnt)
	}
	return c, nil
}

// RWDir is the scratch disk of the machine at root.
func RWDir(root string) string { return filepath.Join(root, "mnt/.rw") }
