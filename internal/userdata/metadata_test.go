package userdata

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// imds is a small metadata server speaking the real protocols: EC2 IMDSv2
// (token PUT, token-only GETs), GCE (Metadata-Flavor header required) and
// the OpenStack/CloudStack paths.
type imds struct {
	kind     string // gce, ec2, openstack, cloudstack
	userData string // "" = no user data (404)
	mu       sync.Mutex
	log      []string
}

func (s *imds) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.log = append(s.log, r.Method+" "+r.URL.Path)
	s.mu.Unlock()
	ud := func() {
		if s.userData == "" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(s.userData))
	}
	switch s.kind {
	case "gce":
		if !strings.HasPrefix(r.URL.Path, "/computeMetadata/") {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Metadata-Flavor") != "Google" {
			http.Error(w, "missing Metadata-Flavor", http.StatusForbidden)
			return
		}
		w.Header().Set("Metadata-Flavor", "Google")
		switch r.URL.Path {
		case "/computeMetadata/v1/instance/attributes/user-data":
			ud()
		case "/computeMetadata/v1/instance/id":
			w.Write([]byte("123"))
		default:
			http.NotFound(w, r)
		}
	case "ec2":
		if r.Method == http.MethodPut && r.URL.Path == "/latest/api/token" {
			if r.Header.Get("X-aws-ec2-metadata-token-ttl-seconds") == "" {
				http.Error(w, "", http.StatusBadRequest)
				return
			}
			w.Write([]byte("TOKEN42"))
			return
		}
		if r.Header.Get("X-aws-ec2-metadata-token") != "TOKEN42" {
			http.Error(w, "", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/2016-04-19/user-data":
			ud()
		case "/2016-04-19/meta-data/ami-id":
			w.Write([]byte("ami-1"))
		default:
			http.NotFound(w, r)
		}
	case "openstack":
		switch r.URL.Path {
		case "/openstack/2013-10-17/user_data":
			ud()
		case "/openstack/2013-10-17/meta_data.json":
			w.Write([]byte("{}"))
		default:
			http.NotFound(w, r)
		}
	case "cloudstack":
		switch r.URL.Path {
		case "/latest/user-data":
			ud()
		case "/latest/meta-data/instance-id":
			w.Write([]byte("i-1"))
		default:
			http.NotFound(w, r)
		}
	}
}

func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := "http://" + l.Addr().String()
	l.Close()
	return u
}

func TestFindOnNetwork(t *testing.T) {
	tests := []struct {
		kind, ud, src string
		cloudstack    bool
	}{
		{"gce", "gce data", SrcGCE, false},
		{"ec2", blockText, SrcEC2, false},
		{"ec2", "", SrcEC2, false}, // metadata but no user data: found, empty
		{"openstack", "os data", SrcOpenStack, false},
		{"cloudstack", "cs data", SrcCloudStack, true},
	}
	for _, tc := range tests {
		t.Run(tc.kind+"/"+tc.src+"/"+tc.ud[:min(len(tc.ud), 3)], func(t *testing.T) {
			srv := httptest.NewServer(&imds{kind: tc.kind, userData: tc.ud})
			defer srv.Close()
			cfg := MetadataConfig{LinkLocal: srv.URL, CloudStack: []string{closedURL(t)}, ProbeTimeout: time.Second, ConnTimeout: time.Second}
			if tc.cloudstack {
				cfg.LinkLocal = closedURL(t)
				cfg.CloudStack = []string{closedURL(t), srv.URL}
			}
			f, err := FindOnNetwork(context.Background(), cfg)
			if f == nil {
				t.Fatalf("not found: %v", err)
			}
			if f.Source != tc.src || string(f.Data) != tc.ud {
				t.Fatalf("got %s %q, want %s %q", f.Source, f.Data, tc.src, tc.ud)
			}
		})
	}
}

func TestFindOnNetworkNothing(t *testing.T) {
	start := time.Now()
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	f, err := FindOnNetwork(context.Background(), MetadataConfig{
		LinkLocal: srv.URL, CloudStack: []string{closedURL(t)}, ProbeTimeout: 500 * time.Millisecond})
	if f != nil {
		t.Fatalf("found %+v on a server with no metadata", f)
	}
	if err == nil {
		t.Error("want the HTTP errors reported")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestEC2IMDSv1Fallback(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2016-04-19/user-data", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("v1")) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f, _ := FindOnNetwork(context.Background(), MetadataConfig{LinkLocal: srv.URL, CloudStack: []string{}})
	if f == nil || f.Source != SrcEC2 || string(f.Data) != "v1" {
		t.Fatalf("got %+v", f)
	}
}
