package boot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ucvm/ucvm/internal/clientconfig"
	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/userdata"
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
	Bytes    int64  `json:"bytes,omitempty"` // fetched until the mount was ready
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
	if s.CPUProfile != "" {
		if out, err := os.Create(s.CPUProfile); err == nil && pprof.StartCPUProfile(out) == nil {
			defer func() { pprof.StopCPUProfile(); out.Close() }()
		}
	}
	m, setup, err := mountRepo(s, log)
	if err != nil {
		report(clientStatus{Error: err.Error()})
		return 1
	}
	i := m.FS.Info()
	report(clientStatus{OK: true, RootHash: i.RootHash.String(), Tag: i.Tag, Revision: i.Revision, Offline: m.FS.Offline(),
		Bytes: setup.Fetcher.Info().Bytes})
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
	fi := setup.Fetcher.Info()
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	log.Info("client stopping", append([]any{"downloads", fi.Downloads, "bytes", fi.Bytes, "failures", fi.Failures,
		"cpu_user", time.Duration(ru.Utime.Nano()), "cpu_sys", time.Duration(ru.Stime.Nano()), "max_rss_kb", ru.Maxrss},
		m.FS.Stats().LogAttrs()...)...)
	setup.Close()
	return 0
}

func orStderr(f *os.File) *os.File {
	if f == nil {
		return os.Stderr
	}
	return f
}

// mountRepo writes the settings as a CernVM-FS client configuration file
// (as 14cvmfs writes /etc/cvmfs/config.d/<repo>.conf), loads it through the
// real client's configuration layers and mounts with the FUSE client.
func mountRepo(s RepoSettings, log *slog.Logger) (*fusefs.Mounted, *fusefs.Setup, error) {
	conf := filepath.Join(orDefault(os.Getenv("UCVM_RUN_DIR"), "/run/ucvm"), s.FQRN+".conf")
	_ = os.MkdirAll(filepath.Dir(conf), 0o700)
	if err := writeAtomic(conf, ClientConfig(s), 0o600); err != nil {
		return nil, nil, err
	}
	cc, err := clientconfig.Load(s.FQRN, clientconfig.Options{ConfigDir: "/etc/cvmfs", MountDir: "/nonexistent", ExtraFiles: []string{conf}})
	if err != nil {
		return nil, nil, fmt.Errorf("client configuration: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	setup, err := fusefs.NewSetup(ctx, cc, s.Mountpoint, log)
	if err != nil {
		return nil, nil, err
	}
	setup.Mount.Debug = s.DebugFuse
	m, err := fusefs.Mount(ctx, setup.Mount)
	if err != nil {
		setup.Close()
		return nil, nil, err
	}
	return m, setup, nil
}

// ClientConfig renders the client configuration of the OS mount with the
// parameters of the original bootloader; values are single-quoted.
func ClientConfig(s RepoSettings) []byte {
	q := userdata.ShellQuote
	var b strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, q(v)) }
	kv("CVMFS_CACHE_DIR", filepath.Join(s.CacheDir, s.FQRN))
	kv("CVMFS_QUOTA_LIMIT", strconv.FormatInt(s.QuotaMB, 10))
	kv("CVMFS_SERVER_URL", strings.Join(s.ServerURLs, ";"))
	kv("CVMFS_HTTP_PROXY", s.Proxy)
	if s.PACURLs != "" {
		kv("CVMFS_PAC_URLS", s.PACURLs)
	}
	kv("CVMFS_KEYS_DIR", s.KeysDir)
	if keys := repoKeyFiles(s.KeysDir, s.FQRN); len(keys) > 0 {
		kv("CVMFS_PUBLIC_KEY", strings.Join(keys, ":"))
	}
	for _, p := range [][2]string{{"CVMFS_NFILES", "65536"}, {"CVMFS_CHECK_PERMISSIONS", "yes"}, {"CVMFS_IGNORE_SIGNATURE", "no"},
		{"CVMFS_AUTO_UPDATE", "no"}, {"CVMFS_TIMEOUT", "5"}, {"CVMFS_TIMEOUT_DIRECT", "5"}, {"CVMFS_MAX_RETRIES", "1"},
		{"CVMFS_HIDE_MAGIC_XATTRS", "yes"}, {"CVMFS_SYSTEMD_NOKILL", "yes"}, {"CVMFS_SHARED_CACHE", "no"},
		// The OS's files keep their owners (the original mounts with
		// -o config=, which skips default.conf and its claim): without
		// this, /usr/bin/chage (setgid shadow) and every group-owned file
		// would show as root's.
		{"CVMFS_CLAIM_OWNERSHIP", "no"}} {
		kv(p[0], p[1])
	}
	if s.UIDMap != "" {
		kv("CVMFS_UID_MAP", s.UIDMap)
		kv("CVMFS_GID_MAP", s.GIDMap)
	}
	if s.BootLayer != "" {
		kv("UCVM_BOOT_LAYER", s.BootLayer)
	}
	// Hold the cache's writes while the boot keeps the client busy
	// (cache.Options.WriteBehind): they happen once the OS is up.
	kv("UCVM_WRITE_BEHIND", "120")
	if s.RootHash != "" {
		kv("CVMFS_ROOT_HASH", s.RootHash)
	} else if s.Tag != "" {
		kv("CVMFS_REPOSITORY_TAG", s.Tag)
	}
	return []byte(b.String())
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
		return "DIRECT"
	}
	return strings.Join(groups, ";")
}

// repoKeyFiles lists <fqrn>.pub, <fqrn>.*.pub and <fqrn>/*.pub in dir;
// with none of them, every *.pub in dir.
func repoKeyFiles(dir, fqrn string) []string {
	var files []string
	for _, pat := range []string{fqrn + ".pub", fqrn + ".*.pub", fqrn + "/*.pub", "*.pub"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		files = append(files, m...)
		if len(files) > 0 {
			break
		}
	}
	return files
}
