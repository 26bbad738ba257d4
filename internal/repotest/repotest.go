// Package repotest serves repository storage directories to tests: ucvm's
// own HTTP server on 127.0.0.1, read through the real download manager.
package repotest

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/ucvm/ucvm/internal/fetch"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/serve"
)

// Serve serves storage as /cvmfs/<fqrn>/ until the test ends and returns a
// reader source for it and the server's base URL.
func Serve(t testing.TB, storage, fqrn string) (reader.Source, string) {
	t.Helper()
	return ServeLog(t, storage, fqrn, io.Discard)
}

// ServeLog is Serve with the server's access log written to log.
func ServeLog(t testing.TB, storage, fqrn string, log io.Writer) (reader.Source, string) {
	t.Helper()
	r, err := serve.Discover(storage)
	if err != nil {
		t.Fatal(err)
	}
	r.FQRN = fqrn
	h, err := serve.NewHandler([]serve.Repo{r}, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() { srv.Close(); h.Close() })
	cfg := fetch.DefaultConfig()
	cfg.Hosts = fetch.ParseHostList(srv.URL+"/cvmfs/@fqrn@", fqrn)
	fe, err := fetch.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return reader.FetchSource{F: fe}, srv.URL
}
