package boot

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/ucvm/ucvm/internal/userdata"
)

// BranchFile is the branch configuration the image builder puts into the
// initrd.
const BranchFile = "/etc/ucvm/branch.json"

// Branch is the content of /etc/ucvm/branch.json.
type Branch struct {
	Name    string   `json:"name"`
	FQRN    string   `json:"fqrn"`
	OSPath  string   `json:"os_path"`
	Servers []string `json:"servers"`
	CDN     []string `json:"cdn"`
	Tag     string   `json:"tag"`
	Version string   `json:"version"`
}

// ReadBranch reads the branch file; a missing file gives the original's
// defaults (hepvm.cern.ch, cernvm-devel.cern.ch).
func ReadBranch(path string) (Branch, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return Branch{FQRN: "cernvm-devel.cern.ch", Servers: []string{"hepvm.cern.ch"}}, nil
	}
	if err != nil {
		return Branch{}, err
	}
	var br Branch
	if err := json.Unmarshal(b, &br); err != nil {
		return Branch{}, fmt.Errorf("%s: %w", path, err)
	}
	return br, nil
}

// RepoSettings is everything the repository client needs for the OS mount.
type RepoSettings struct {
	FQRN        string   `json:"fqrn"`
	OSPath      string   `json:"os_path"`
	ServerURLs  []string `json:"server_urls"`
	Proxy       string   `json:"proxy"`
	PACURLs     string   `json:"pac_urls,omitempty"`
	Tag         string   `json:"tag,omitempty"`
	RootHash    string   `json:"root_hash,omitempty"` // pinned snapshot
	Fresh       bool     `json:"fresh"`               // pin after mounting
	WaitOnSquid int      `json:"wait_on_squid,omitempty"`
	CacheDir    string   `json:"cache_dir"`
	QuotaMB     int64    `json:"quota_mb"`
	KeysDir     string   `json:"keys_dir"`
	Mountpoint  string   `json:"mountpoint"`
	UIDMap      string   `json:"uid_map,omitempty"`
	GIDMap      string   `json:"gid_map,omitempty"`
	BootLayer   string   `json:"boot_layer,omitempty"` // UCVM_BOOT_LAYER
	// Diagnostics (kernel parameters ucvm.cpuprofile, ucvm.godebug,
	// ucvm.debugfuse): a CPU profile of the client written here when it
	// stops; its GODEBUG; every FUSE request logged to ucvm-mount.stderr.
	CPUProfile string `json:"cpu_profile,omitempty"`
	GoDebug    string `json:"godebug,omitempty"`
	DebugFuse  bool   `json:"debug_fuse,omitempty"`
}

// splitHosts splits a host list on ',' and ';' (the original's CDN list
// mixes both but it only split on ',').
func splitHosts(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' })
}

// ResolveRepo merges branch defaults, kernel parameters and user data (in
// that order, later wins) into repository settings, as 14cvmfs does:
// cvmfs_http_proxy or cvmfs_server in user data switch the CDN off; a CDN
// list (unless NONE) replaces the server list; cvmfs_url gives the complete
// URL list. quota: 2000 MB if the scratch file system has more than
// 4000 MB, else half of it.
func ResolveRepo(br Branch, cl Cmdline, ud *userdata.Context, fsMB int64) RepoSettings {
	s := RepoSettings{FQRN: br.FQRN, OSPath: br.OSPath, Tag: br.Tag, Proxy: "DIRECT"}
	servers, cdn := br.Servers, br.CDN
	pick := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	if v, ok := cl.Lookup("cvmfs_repos"); ok && v != "" {
		s.FQRN = v
	}
	pick(&s.OSPath, cl.Get("cernvm_path"))
	pick(&s.Tag, cl.Get("cvmfs_repository_tag"))
	pick(&s.Proxy, cl.Get("cvmfs_proxy"))
	if v, ok := cl.Lookup("cvmfs_server"); ok && v != "" {
		servers = splitHosts(v)
	}
	if v, ok := cl.Lookup("cvmfs_cdn"); ok {
		cdn = splitHosts(v)
	}
	if v, ok := ud.Get("cvmfs_http_proxy"); ok && v != "" {
		s.Proxy, cdn = v, nil
	}
	if v, ok := ud.Get("cvmfs_server"); ok && v != "" {
		servers, cdn = splitHosts(v), nil
	}
	if v, ok := ud.Get("cvmfs_cdn"); ok && v != "" {
		cdn = splitHosts(v)
	}
	pick(&s.FQRN, ud.Value("cvmfs_branch"))
	pick(&s.Tag, ud.Value("cvmfs_tag"))
	pick(&s.PACURLs, ud.Value("cvmfs_pac_urls"))
	pick(&s.OSPath, ud.Value("cernvm_path"))
	if v, err := parseInt(ud.Value("cvmfs_wait_on_squid")); err == nil && v > 0 {
		s.WaitOnSquid = int(min(v, 3600))
	}
	if len(cdn) == 1 && strings.EqualFold(cdn[0], "NONE") {
		cdn = nil
	}
	hosts := servers
	if len(cdn) > 0 {
		hosts = cdn
	}
	for _, h := range hosts {
		s.ServerURLs = append(s.ServerURLs, serverURL(h, s.FQRN))
	}
	if v, ok := cl.Lookup("cvmfs_url"); ok && v != "" {
		s.ServerURLs = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' })
	}
	s.QuotaMB = 2000
	if fsMB > 0 && fsMB <= 4000 {
		s.QuotaMB = fsMB / 2
	}
	return s
}

func serverURL(host, fqrn string) string {
	if strings.Contains(host, "://") {
		return strings.TrimRight(host, "/") + "/cvmfs/" + fqrn
	}
	return "http://" + host + "/cvmfs/" + fqrn
}

func parseInt(s string) (int64, error) {
	var n int64
	_, err := fmt.Sscanf(strings.TrimSpace(s), "%d", &n)
	return n, err
}
