package fetch

import (
	"errors"
	"reflect"
	"testing"
)

func TestParseLists(t *testing.T) {
	h := ParseHostList(" http://s1/cvmfs/@fqrn@/ ;;http://s2/@org@ ", "atlas.cern.ch")
	if !reflect.DeepEqual(h, []string{"http://s1/cvmfs/atlas.cern.ch", "http://s2/atlas"}) {
		t.Fatalf("hosts %v", h)
	}
	g, err := ParseProxyList("p1:3128|http://p2:3128;direct;auto;")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"http://p1:3128", "http://p2:3128"}, {Direct}, {Auto}}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("proxies %v", g)
	}
	if _, err := ParseProxyList("ftp://x:1"); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("want ErrBadConfig, got %v", err)
	}
	for _, h := range []string{"ftp://x/repo", "relative/dir", "http://", "http://h/r?x=1"} {
		if _, err := New(Config{Hosts: []string{h}}); !errors.Is(err, ErrBadConfig) {
			t.Errorf("host %q accepted: %v", h, err)
		}
	}
	if _, err := New(Config{Hosts: []string{"http://x"}, Proxies: want}); !errors.Is(err, ErrBadConfig) {
		t.Fatal("unresolved auto accepted")
	}
}

func TestFallbackStripsDirect(t *testing.T) {
	got := chain([][]string{{"http://a:1", Direct}, {Direct}}, [][]string{{"http://f:1"}, {Direct}})
	if !reflect.DeepEqual(got, [][]string{{"http://a:1"}, {"http://f:1"}}) {
		t.Fatalf("%v", got)
	}
	if got := chain(nil, nil); !reflect.DeepEqual(got, [][]string{{Direct}}) {
		t.Fatalf("%v", got)
	}
}

func FuzzParseProxyList(f *testing.F) {
	for _, s := range []string{"", "DIRECT", "http://p1:3128|http://p2:3128;DIRECT", "auto;p:1", "|;|", "http://[::1]:3128", "p:1|q:2;;r:3", "http://u:p@h:1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := ParseProxyList(s)
		if err != nil {
			return
		}
		g2, err := ParseProxyList(FormatProxyList(g))
		if err != nil || !reflect.DeepEqual(g, g2) {
			t.Fatalf("round trip of %q: %v → %v (%v)", s, g, g2, err)
		}
		for _, grp := range chain(g, nil) {
			if len(grp) == 0 {
				t.Fatal("empty group")
			}
		}
		ParseHostList(s, "a.b")
	})
}
