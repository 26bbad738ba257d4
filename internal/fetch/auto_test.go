package fetch

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	_ "github.com/ucvm/ucvm/internal/clientconfig/pac/js" // the in-process evaluator
)

func TestResolveAutoThroughPAC(t *testing.T) {
	t.Setenv("http_proxy", "")
	objs := objects(1, 500)
	o := startOrigin(t, objs)
	p := startProxy(t)
	pacSrv := startOrigin(t, map[string][]byte{
		"/wpad.dat": []byte(fmt.Sprintf(`function FindProxyForURL(url, host) {
		  if (shExpMatch(url, "*/repo/.cvmfspublished") && isInNet(host, "127.0.0.0", "255.0.0.0"))
		    return "PROXY %s; DIRECT";
		  return "DIRECT"; }`, p.url[len("http://"):])),
		"/loop.pac": []byte(`function FindProxyForURL(u, h) { while (true) {} }`),
	})
	c := testConfig(o.url + "/repo")
	c.Proxies = [][]string{{Auto}}
	c.PACURLs = []string{deadAddr(t) + "/wpad.dat", pacSrv.url + "/loop.pac", pacSrv.url + "/wpad.dat"}
	start := time.Now()
	rc, err := ResolveAuto(ctxT(t, 10*time.Second), c)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("resolution took %v", d)
	}
	if want := [][]string{{p.url}, {Direct}}; !reflect.DeepEqual(rc.Proxies, want) {
		t.Fatalf("groups %v, want %v", rc.Proxies, want)
	}
	f := mustNew(t, rc)
	if err := f.Get(ctxT(t, 5*time.Second), "data/00/obj0", hashVerifier(objs[obj0], nil)); err != nil {
		t.Fatal(err)
	}
	if p.hits.Load() != 1 {
		t.Fatal("download did not go through the PAC's proxy")
	}
}

func TestResolveAutoFailures(t *testing.T) {
	t.Setenv("http_proxy", "")
	c := testConfig("http://127.0.0.1:9/repo")
	c.Proxies = [][]string{{Auto}}
	c.PACURLs = []string{deadAddr(t) + "/wpad.dat"}
	if _, err := ResolveAuto(ctxT(t, 5*time.Second), c); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("want ErrBadConfig, got %v", err)
	}
	c.Proxies = [][]string{{Auto}, {Direct}}
	rc, err := ResolveAuto(ctxT(t, 5*time.Second), c)
	if err != nil || !reflect.DeepEqual(rc.Proxies, [][]string{{Direct}}) {
		t.Fatalf("unresolvable auto must be dropped: %v %v", rc.Proxies, err)
	}
	t.Setenv("http_proxy", "http://envproxy:3128")
	rc, err = ResolveAuto(ctxT(t, 5*time.Second), c)
	if err != nil || rc.Proxies[0][0] != "http://envproxy:3128" {
		t.Fatalf("http_proxy not used: %v %v", rc.Proxies, err)
	}
}
