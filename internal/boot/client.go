package boot

import (
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ucvm/ucvm/internal/cache"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/fetch"
	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/reader"
)

// ClientArgv0 is argv[0] of the repository client daemon. The leading '@'
// is systemd's mark for storage daemons that survive the final kill at
// shutdown (like cvmfs2 with CVMFS_SYSTEMD_NOKILL).
const ClientArgv0 = "@ucvm-mount"

// clientStatus is what the daemon reports to /init on its status pipe.
type clientStatus struct {
	OK       bool   `json:"ok"`
	Error    string `json:"error,omitempty"`
	RootHash string `json:"root_hash,omitempty"`
	Tag      string `json:"tag,omitempty"`
	Revision uint64 `json:"revision,omitempty"`
	Offline  bool   `json:"offline,omitempty"`
	PID      int    `json:"pid"`
}

// ClientMain runs the repository client daemon: args[1] is the settings
// file; the status is written as one JSON line to fd 3. It serves the
// mount until it is unmounted or told to stop (SIGTERM/SIGINT).
func ClientMain(args []string) int {
	status := os.NewFile(3, "status")
	report := func(st clientStatus) {
		st.PID = os.Getpid()
		b, _ := json.Marshal(st)
		if status != nil {
			status.Write(append(b, '\n'))
			status.Close()
		}
	}
	if len(args) < 2 {
		report(clientStatus{Error: "usage: @ucvm-mount SETTINGS.json"})
		return 2
	}
	var s RepoSettings
	b, err := os.ReadFile(args[1])
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	if err != nil {
		report(clientStatus{Error: fmt.Sprintf("settings %s: %v", args[1], err)})
		return 2
	}
	logf, _ := os.OpenFile(filepath.Join(s.CacheDir, "ucvm-mount.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	log := slog.New(slog.NewTextHandler(orStderr(logf), nil))
	m, c, fe, err := mountRepo(s, log)
	if err != nil {
		report(clientStatus{Error: err.Error()})
		return 1
	}
	i := m.FS.Info()
	report(clientStatus{OK: true, RootHash: i.RootHash.String(), Tag: i.Tag, Revision: i.Revision, Offline: m.FS.Offline()})
	// SIGTERM (shutdown): close the cache and exit at once, so that the
	// scratch disk can be remounted read-only; the mount is torn down by
	// the kernel. SIGINT: unmount cleanly first.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() { m.Wait(); close(done) }()
	select {
	case s := <-sig:
		if s == syscall.SIGINT {
			m.Unmount()
			<-done
		}
	case <-done:
	}
	c.Close()
	fe.Close()
	return 0
}

func orStderr(f *os.File) *os.File {
	if f == nil {
		return os.Stderr
	}
	return f
}

// mountRepo assembles download manager, cache, verified reader and FUSE
// file system for s and mounts it at s.Mountpoint.
func mountRepo(s RepoSettings, log *slog.Logger) (*fusefs.Mounted, *cache.Cache, *fetch.Fetcher, error) {
	masters, err := loadRepoKeys(s.KeysDir, s.FQRN)
	if err != nil {
		return nil, nil, nil, err
	}
	cfg := fetch.DefaultConfig()
	cfg.Hosts = fetch.ParseHostList(strings.Join(s.ServerURLs, ";"), s.FQRN)
	if cfg.Proxies, err = fetch.ParseProxyList(usableProxy(s.Proxy)); err != nil {
		return nil, nil, nil, fmt.Errorf("proxy %q: %w", s.Proxy, err)
	}
	fe, err := fetch.New(cfg)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("download manager: %w", err)
	}
	c, err := cache.Open(filepath.Join(s.CacheDir, s.FQRN), cache.Options{QuotaBytes: s.QuotaMB << 20, Logger: log})
	if err != nil {
		fe.Close()
		return nil, nil, nil, fmt.Errorf("cache: %w", err)
	}
	base := reader.Options{FQRN: s.FQRN, Source: reader.FetchSource{F: fe}, Cache: c, MasterKeys: masters, Tag: s.Tag, RootHash: s.RootHash}
	if s.RootHash != "" {
		base.Tag = ""
	}
	fc := fusefs.Config{FQRN: s.FQRN, HideMagicXattrs: true, Network: fe, Cache: c, Logger: log}
	if s.UIDMap != "" {
		fc.UIDMap, _ = fusefs.LoadIDMap(s.UIDMap)
	}
	if s.GIDMap != "" {
		fc.GIDMap, _ = fusefs.LoadIDMap(s.GIDMap)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	m, err := fusefs.Mount(ctx, fusefs.MountConfig{Config: fc, Mountpoint: s.Mountpoint, Open: fusefs.ReaderOpener(base), AllowOther: true})
	if err != nil {
		c.Close()
		fe.Close()
		return nil, nil, nil, err
	}
	return m, c, fe, nil
}

// usableProxy drops "auto" (PAC proxies are not resolved in the initrd);
// an empty result means DIRECT.
func usableProxy(p string) string {
	var groups []string
	for _, g := range strings.Split(p, ";") {
		var members []string
		for _, m := range strings.Split(g, "|") {
			if m = strings.TrimSpace(m); m != "" && !strings.EqualFold(m, "auto") {
				members = append(members, m)
			}
		}
		if len(members) > 0 {
			groups = append(groups, strings.Join(members, "|"))
		}
	}
	if len(groups) == 0 {
		return fetch.Direct
	}
	return strings.Join(groups, ";")
}

// loadRepoKeys loads <fqrn>.pub and <fqrn>.*.pub from dir, or a
// directory dir/<fqrn>/ (the original layout); with none of them, every
// key in dir.
func loadRepoKeys(dir, fqrn string) ([]*rsa.PublicKey, error) {
	var files []string
	for _, pat := range []string{fqrn + ".pub", fqrn + ".*.pub", fqrn + "/*.pub"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		files = []string{dir}
	}
	k, err := keys.LoadPublic(files...)
	if err != nil {
		return nil, fmt.Errorf("public keys of %s in %s: %w", fqrn, dir, err)
	}
	return k, nil
}
