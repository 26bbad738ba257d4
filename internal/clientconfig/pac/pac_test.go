package pac

import (
	"errors"
	"reflect"
	"testing"
)

func TestGroups(t *testing.T) {
	g, err := Groups("PROXY squid1:3128; SOCKS s:1; proxy squid2:3128;DIRECT")
	want := [][]string{{"http://squid1:3128"}, {"http://squid2:3128"}, {"DIRECT"}}
	if err != nil || !reflect.DeepEqual(g, want) {
		t.Fatalf("%v %v", g, err)
	}
	for _, bad := range []string{"", "SOCKS a:1", "PROXY", "GOPHER x:1", "PROXY a:1 b:2"} {
		if _, err := Groups(bad); !errors.Is(err, ErrPAC) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzGroups(f *testing.F) {
	for _, s := range []string{"PROXY a:1; DIRECT", "SOCKS x", ";;", "HTTPS h:443;PROXY [::1]:3128"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		g, err := Groups(s)
		if err == nil && len(g) == 0 {
			t.Fatal("no error and no groups")
		}
	})
}
