package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config describes a server run.
type Config struct {
	Listen    string   // host:port
	Storage   []string // repository storage directories
	ReadyFile string   // optional: written (atomically) with the URLs once listening
	Log       *slog.Logger
	Out       io.Writer // where the served URLs are printed (default os.Stdout)
	// ShutdownGrace bounds how long in-flight requests may finish after
	// the context is cancelled (default 10 s).
	ShutdownGrace time.Duration
}

// Run serves until ctx is cancelled (e.g. by SIGTERM/SIGINT), then shuts
// down gracefully.
func Run(ctx context.Context, cfg Config) error {
	if len(cfg.Storage) == 0 {
		return fmt.Errorf("%w: give at least one STORAGE directory", ErrStorage)
	}
	var repos []Repo
	for _, d := range cfg.Storage {
		r, err := Discover(d)
		if err != nil {
			return err
		}
		repos = append(repos, r)
	}
	h, err := NewHandler(repos, cfg.Log)
	if err != nil {
		return err
	}
	defer h.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pick a free address with --listen)", cfg.Listen, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	urls := URLs(ln.Addr(), repos)
	if err := announce(cfg, urls); err != nil {
		ln.Close()
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	grace := cfg.ShutdownGrace
	if grace == 0 {
		grace = 10 * time.Second
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// URLs returns the repository URLs served on addr.
func URLs(addr net.Addr, repos []Repo) []string {
	host := addr.String()
	if ta, ok := addr.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		host = net.JoinHostPort("127.0.0.1", fmt.Sprint(ta.Port))
	}
	var out []string
	for _, r := range repos {
		out = append(out, "http://"+host+"/cvmfs/"+r.FQRN)
	}
	return out
}

func announce(cfg Config, urls []string) error {
	out := cfg.Out
	if out == nil {
		out = os.Stdout
	}
	for _, u := range urls {
		fmt.Fprintf(out, "serving %s\n", u)
	}
	if cfg.ReadyFile == "" {
		return nil
	}
	tmp := filepath.Join(filepath.Dir(cfg.ReadyFile), "."+filepath.Base(cfg.ReadyFile)+".tmp")
	if err := os.WriteFile(tmp, []byte(strings.Join(urls, "\n")+"\n"), 0o644); err != nil {
		return fmt.Errorf("ready file: %w", err)
	}
	if err := os.Rename(tmp, cfg.ReadyFile); err != nil {
		return fmt.Errorf("ready file: %w", err)
	}
	return nil
}
