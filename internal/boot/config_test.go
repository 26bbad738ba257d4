package boot

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/clientconfig"

	"github.com/ucvm/ucvm/internal/userdata"
)

func TestResolveRepo(t *testing.T) {
	br := Branch{FQRN: "cernvm-prod.cern.ch", OSPath: "cvm4", Servers: []string{"s1.cern.ch", "s2.fnal.gov"},
		CDN: []string{"cdn1.openhtc.io", "cdn2.openhtc.io"}, Tag: "HEAD4"}
	ud := func(s string) *userdata.Context {
		c, _ := userdata.ParseBlock([]byte("[ucernvm-begin]\n" + s + "\n[ucernvm-end]\n"))
		return c
	}
	tests := []struct {
		name    string
		cmdline string
		ud      *userdata.Context
		fsMB    int64
		urls    []string
		proxy   string
		fqrn    string
		tag     string
		path    string
		quota   int64
	}{
		{"branch defaults use the CDN", "", nil, 20000,
			[]string{"http://cdn1.openhtc.io/cvmfs/cernvm-prod.cern.ch", "http://cdn2.openhtc.io/cvmfs/cernvm-prod.cern.ch"},
			"DIRECT", "cernvm-prod.cern.ch", "HEAD4", "cvm4", 2000},
		{"cmdline cdn NONE and servers with ';'", "cvmfs_cdn=NONE cvmfs_server=a.ch;b.ch,c.ch cvmfs_repos=x.ch cvmfs_repository_tag=t1 cernvm_path=cvm3", nil, 3000,
			[]string{"http://a.ch/cvmfs/x.ch", "http://b.ch/cvmfs/x.ch", "http://c.ch/cvmfs/x.ch"}, "DIRECT", "x.ch", "t1", "cvm3", 1500},
		{"user data proxy disables the CDN and wins", "cvmfs_proxy=http://k:1", ud("cvmfs_http_proxy=http://a:3128;DIRECT\ncvmfs_tag=v9\ncvmfs_branch=y.ch"), 20000,
			[]string{"http://s1.cern.ch/cvmfs/y.ch", "http://s2.fnal.gov/cvmfs/y.ch"}, "http://a:3128;DIRECT", "y.ch", "v9", "cvm4", 2000},
		{"user data cdn after server", "", ud("cvmfs_server=u.ch\ncvmfs_cdn=z.io"), 20000,
			[]string{"http://z.io/cvmfs/cernvm-prod.cern.ch"}, "DIRECT", "cernvm-prod.cern.ch", "HEAD4", "cvm4", 2000},
		{"cvmfs_url overrides", "cvmfs_url=http://h:8000/cvmfs/r;http://g/cvmfs/r", nil, 20000,
			[]string{"http://h:8000/cvmfs/r", "http://g/cvmfs/r"}, "DIRECT", "cernvm-prod.cern.ch", "HEAD4", "cvm4", 2000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ResolveRepo(br, ParseCmdline(tc.cmdline), tc.ud, tc.fsMB)
			if !reflect.DeepEqual(s.ServerURLs, tc.urls) || s.Proxy != tc.proxy || s.FQRN != tc.fqrn || s.Tag != tc.tag || s.OSPath != tc.path || s.QuotaMB != tc.quota {
				t.Fatalf("got %+v", s)
			}
		})
	}
	s := ResolveRepo(br, ParseCmdline(""), ud("cvmfs_wait_on_squid=30"), 0)
	if s.WaitOnSquid != 30 {
		t.Errorf("wait on squid %d", s.WaitOnSquid)
	}
}

func TestClientConfigQuoting(t *testing.T) {
	c := string(ClientConfig(RepoSettings{FQRN: "r.ch", ServerURLs: []string{"http://a/cvmfs/r.ch", "http://b/cvmfs/r.ch"},
		Proxy: "http://p:1|http://q:2;DIRECT", PACURLs: "http://w/wpad.dat;x'y", CacheDir: "/root.rw/cache", QuotaMB: 2000, RootHash: "abc"}))
	for _, want := range []string{"CVMFS_SERVER_URL='http://a/cvmfs/r.ch;http://b/cvmfs/r.ch'", "CVMFS_HTTP_PROXY='http://p:1|http://q:2;DIRECT'",
		`CVMFS_PAC_URLS='http://w/wpad.dat;x'\''y'`, "CVMFS_ROOT_HASH='abc'", "CVMFS_CACHE_DIR='/root.rw/cache/r.ch'", "CVMFS_AUTO_UPDATE='no'"} {
		if !strings.Contains(c, want) {
			t.Errorf("missing %s in\n%s", want, c)
		}
	}
	if strings.Contains(c, "CVMFS_REPOSITORY_TAG") {
		t.Error("tag written next to a pinned root hash")
	}
	if usableProxy("auto;DIRECT") != "DIRECT" || usableProxy("auto|http://a:1;DIRECT") != "http://a:1;DIRECT" {
		t.Error("usableProxy")
	}
}

func TestMountsToUnmount(t *testing.T) {
	mounts := []string{"/", "/proc", "/sys", "/dev", "/run", "/oldroot", "/oldroot/proc", "/oldroot/mnt/.rw", "/oldroot/mnt/.ro",
		"/oldroot/home", "/oldroot/cvmfs", "/oldroot/cvmfs/x.ch", "/oldroot/mnt/.rw/sub"}
	got := mountsToUnmount(mounts, "/oldroot", "/oldroot/mnt/.rw", "/oldroot/mnt/.ro")
	want := []string{"/oldroot/cvmfs/x.ch", "/oldroot/cvmfs", "/oldroot/proc", "/oldroot/home"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v want %v", got, want)
	}
	got = mountsToUnmount([]string{"/", "/proc", "/dev/pts", "/run", "/mnt/.rw", "/mnt/.ro", "/home"}, "/", "/mnt/.rw", "/mnt/.ro")
	if !reflect.DeepEqual(got, []string{"/home"}) {
		t.Fatalf("not pivoted: %v", got)
	}
}

func TestSetRootHash(t *testing.T) {
	out, ok := setRootHash("daemon:*:1:0::::\nroot:*:19000:0:99999:7:::\n")
	if !ok || !strings.Contains(out, "root:"+resetHash+":19000:") || !strings.HasPrefix(out, "daemon:*:") {
		t.Fatalf("%q", out)
	}
	if _, ok := setRootHash("nobody:x:1:1\n"); ok {
		t.Fatal("no root entry")
	}
}

// TestClientConfigOwners: the OS mount shows the repository's owners,
// also with no /etc/cvmfs in the initrd (whose built-in default.conf
// claims ownership).
func TestClientConfigOwners(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "r.ch.conf")
	s := RepoSettings{FQRN: "r.ch", ServerURLs: []string{"http://a/cvmfs/r.ch"}, Proxy: "DIRECT", CacheDir: "/root.rw/cache", QuotaMB: 2000}
	if err := os.WriteFile(conf, ClientConfig(s), 0o600); err != nil {
		t.Fatal(err)
	}
	cc, err := clientconfig.Load("r.ch", clientconfig.Options{ConfigDir: filepath.Join(t.TempDir(), "none"), MountDir: "/nonexistent", ExtraFiles: []string{conf}})
	if err != nil {
		t.Fatal(err)
	}
	if cc.ClaimOwnership() {
		t.Fatal("the OS mount claims ownership: every file would be root's")
	}
}
