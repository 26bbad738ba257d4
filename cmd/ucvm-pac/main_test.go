package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	const script = `function FindProxyForURL(url, host) {
  if (shExpMatch(url, "*/cvmfs/*")) return "PROXY squid:3128; DIRECT";
  return "DIRECT";
}`
	var out bytes.Buffer
	code, err := run([]string{"http://s1/cvmfs/r/.cvmfspublished", "s1", "1000"}, strings.NewReader(script), &out)
	if code != 0 || err != nil || out.String() != "PROXY squid:3128; DIRECT\n" {
		t.Fatalf("answer %q, exit %d, %v", out.String(), code, err)
	}
	if code, err := run([]string{"u", "h", "200"}, strings.NewReader("function FindProxyForURL(u, h) { for (;;) {} }"), &out); code != 1 || err == nil {
		t.Fatalf("a looping script: exit %d, %v", code, err)
	}
	for _, args := range [][]string{{"only-url"}, {"u", "h", "0"}, {"u", "h", "soon"}} {
		if code, err := run(args, strings.NewReader(script), &out); code != 2 || err == nil {
			t.Errorf("%q: exit %d, %v", args, code, err)
		}
	}
}
