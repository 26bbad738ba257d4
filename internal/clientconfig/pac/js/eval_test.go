package js

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ucvm/ucvm/internal/clientconfig/pac"
)

const sitePAC = `
function FindProxyForURL(url, host) {
  if (isPlainHostName(host) || dnsDomainIs(host, ".local.test")) return "DIRECT";
  if (shExpMatch(url, "http://*/cvmfs/*") && isInNet(host, "10.0.0.0", "255.0.0.0"))
    return "PROXY squid1.site:3128; PROXY squid2.site:3128; DIRECT";
  if (localHostOrDomainIs(host, "www.example.org")) return "SOCKS s:1080; PROXY p:8080";
  if (dnsDomainLevels(host) > 3) return "PROXY deep:3128";
  if (isResolvable(host) && myIpAddress() == "192.168.1.5") return "HTTPS sec:443";
  return "PROXY default:3128";
}`

func testOpts() pac.Options {
	return pac.Options{Timeout: time.Second, MyIP: "192.168.1.5", Resolve: func(h string) (string, bool) {
		m := map[string]string{"s1.cern.test": "10.1.2.3", "other.test": "172.16.0.1"}
		ip, ok := m[h]
		return ip, ok
	}}
}

func TestEvaluate(t *testing.T) {
	cases := []struct{ url, host, want string }{
		{"http://wpad/x", "wpad", "DIRECT"},
		{"http://a.local.test/x", "a.local.test", "DIRECT"},
		{"http://s1.cern.test/cvmfs/atlas.cern.ch/.cvmfspublished", "s1.cern.test", "PROXY squid1.site:3128; PROXY squid2.site:3128; DIRECT"},
		{"http://www/x", "www.example.org", "SOCKS s:1080; PROXY p:8080"},
		{"http://a.b.c.d.e/x", "a.b.c.d.e", "PROXY deep:3128"},
		{"http://other.test/x", "other.test", "HTTPS sec:443"},
		{"http://nowhere.test/x", "nowhere.test", "PROXY default:3128"},
	}
	for _, c := range cases {
		got, err := Evaluate(sitePAC, c.url, c.host, testOpts())
		if err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.host, got, err, c.want)
		}
	}
}

func TestLoopingPACIsInterrupted(t *testing.T) {
	for _, src := range []string{
		"while (true) {}",
		"function FindProxyForURL(u, h) { for (;;) {} }",
		"function FindProxyForURL(u, h) { return FindProxyForURL(u, h); }",
		`function FindProxyForURL(u, h) { var s = 0; while (true) { s += shExpMatch("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "*a*a*a*a*a*a*a*a*a*c"); } }`,
	} {
		start := time.Now()
		_, err := Evaluate(src, "http://x/", "x", pac.Options{Timeout: 200 * time.Millisecond, Resolve: testOpts().Resolve})
		if !errors.Is(err, pac.ErrPAC) {
			t.Fatalf("%q: want pac.ErrPAC, got %v", src, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Fatalf("%q ran %v despite the limit", src, d)
		}
	}
	if _, err := Evaluate("var x = 1;", "u", "h", testOpts()); err == nil || !strings.Contains(err.Error(), "FindProxyForURL") {
		t.Fatalf("missing function: %v", err)
	}
}

func TestShExpMatch(t *testing.T) {
	for _, c := range []struct {
		s, p string
		ok   bool
	}{{"http://a/cvmfs/x", "http://*/cvmfs/*", true}, {"abc", "a?c", true}, {"abc", "a*", true},
		{"abc", "*d", false}, {"", "*", true}, {"", "", true}, {"a", "", false}, {"abcabd", "*ab?", true}} {
		if shExpMatch(c.s, c.p) != c.ok {
			t.Errorf("shExpMatch(%q,%q) != %v", c.s, c.p, c.ok)
		}
	}
}

func TestTimeHelpers(t *testing.T) {
	now := time.Date(2026, time.March, 4, 14, 30, 0, 0, time.UTC) // a Wednesday
	o := testOpts()
	o.Now = func() time.Time { return now }
	src := `function FindProxyForURL(u, h) {
	  return [weekdayRange("MON","FRI"), weekdayRange("SAT","SUN"), dateRange("MAR"), dateRange(1, 3),
	          timeRange(9, 17), timeRange(14), timeRange(22, 6)].join(",");
	}`
	got, err := Evaluate(src, "u", "h", o)
	if err != nil || got != "true,false,true,false,true,true,false" {
		t.Fatalf("%q %v", got, err)
	}
}

func FuzzEvaluate(f *testing.F) {
	f.Add(sitePAC, "http://s1.cern.test/cvmfs/x", "s1.cern.test")
	f.Add("function FindProxyForURL(u,h){return 'DIRECT'}", "u", "h")
	f.Fuzz(func(t *testing.T, src, u, h string) {
		start := time.Now()
		Evaluate(src, u, h, pac.Options{Timeout: 100 * time.Millisecond, Resolve: testOpts().Resolve})
		if time.Since(start) > 2*time.Second {
			t.Fatal("evaluation exceeded its limit")
		}
	})
}

// TestCommonIdioms covers what real WPAD files use beyond the helpers:
// regular expressions, string methods, arrays and loops.
func TestCommonIdioms(t *testing.T) {
	src := `var proxies = ["PROXY a:3128", "PROXY b:3128"];
	function FindProxyForURL(url, host) {
	  if (/^cvmfs-stratum-one\.cern\.ch$/i.test(host)) return proxies.join("; ");
	  var parts = host.toLowerCase().split(".");
	  for (var i = 0; i < parts.length; i++) { if (parts[i] === "direct") return "DIRECT"; }
	  switch (url.substring(0, 5)) { case "https": return "DIRECT"; default: return "PROXY c:" + (3000 + 128); }
	}`
	for _, c := range []struct{ url, host, want string }{
		{"http://x/", "CVMFS-Stratum-One.cern.ch", "PROXY a:3128; PROXY b:3128"},
		{"http://x/", "a.Direct.org", "DIRECT"},
		{"https://x/", "y.org", "DIRECT"},
		{"http://x/", "y.org", "PROXY c:3128"},
	} {
		if got, err := Evaluate(src, c.url, c.host, testOpts()); err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.host, got, err, c.want)
		}
	}
}
