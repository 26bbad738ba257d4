package update

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	c, err := ParseConfig("# c\nfqrn=a.b\nserver_urls=\"http://127.0.0.1:1/cvmfs/@fqrn@;http://x/cvmfs/@fqrn@\"\nproxy=DIRECT\ntag=\n")
	if err != nil || c.FQRN != "a.b" || len(c.ServerURLs) != 2 || c.ServerURLs[0] != "http://127.0.0.1:1/cvmfs/a.b" || !c.TagSet || c.Tag != "" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"", "fqrn=a\n", "server_urls=x\n", "fqrn=a\nserver_urls=x\nbogus=1\n", "fqrn=a\nserver_urls=x\nnoequals\n"} {
		if _, err := ParseConfig(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		sign int
	}{{"2026.9-1", "2026.10-1", -1}, {"2026.10-10", "2026.10-2", 1}, {"1.0", "1.0", 0}, {"1.0", "1.0.1", -1},
		{"2021.05-1.cernvm.x86_64", "2021.05-1.cernvm.x86_64", 0}, {"007", "7", 0}, {"1a", "1b", -1}} {
		got := CompareVersions(c.a, c.b)
		if (got > 0) != (c.sign > 0) || (got < 0) != (c.sign < 0) {
			t.Errorf("CompareVersions(%q, %q) = %d, want sign %d", c.a, c.b, got, c.sign)
		}
	}
	for name, want := range map[string]string{"ucvm.2026.11-2.tar": "2026.11-2", "ucvm-prod.2026.11-2.update.tar": "2026.11-2",
		"ucernvm.2021.05-1.cernvm.x86_64.tar": "2021.05-1.cernvm.x86_64", "latest": "", "ucvm.x.tar": "", "notes.tar": "", "ucvm.1.tar.sha256": ""} {
		if got := packVersion(name); got != want {
			t.Errorf("packVersion(%q) = %q, want %q", name, got, want)
		}
	}
	if _, err := parseLatest("version=1\nupdate-pack=../../etc/shadow\n"); err == nil {
		t.Error("latest with a path accepted")
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add("fqrn=a.b\nserver_urls=http://h/cvmfs/@fqrn@\nproxy=DIRECT\nkeys=/k\ntag=HEAD\nca=/c\n")
	f.Add("fqrn=\nserver_urls=;;\n")
	f.Add("\r\n#x\nFQRN = a \n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConfig(s)
		if err == nil && (c.FQRN == "" || len(c.ServerURLs) == 0) {
			t.Fatalf("accepted without fqrn/servers: %+v", c)
		}
	})
}

func FuzzLatestAndVersions(f *testing.F) {
	f.Add("version=2026.11-2\nupdate-pack=ucvm.2026.11-2.tar\nsha256=ab\n", "ucvm.1.tar")
	f.Add("update-pack=/x\n", "ucvm-a..tar")
	f.Fuzz(func(t *testing.T, latest, name string) {
		if p, err := parseLatest(latest); err == nil && !strings.HasPrefix(p.Path, PacksDir+"/") {
			t.Fatalf("pack path %q escapes %s", p.Path, PacksDir)
		}
		v := packVersion(name)
		if v != "" && CompareVersions(v, v) != 0 {
			t.Fatalf("version %q not equal to itself", v)
		}
		a, b := CompareVersions(latest, name), CompareVersions(name, latest)
		if (a > 0 && b > 0) || (a < 0 && b < 0) || (a == 0) != (b == 0) {
			t.Fatalf("CompareVersions not antisymmetric for %q %q: %d %d", latest, name, a, b)
		}
	})
}
