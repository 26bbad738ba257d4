package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/cliutil"
	"github.com/ucvm/ucvm/internal/serve"
)

func init() { register(newServeCmd) }

func newServeCmd() *cobra.Command {
	var cfg serve.Config
	var quiet bool
	cmd := &cobra.Command{
		Use:   "serve --listen ADDR STORAGE...",
		Short: "Serve repository storage directories over HTTP with CernVM-FS caching headers",
		Long: `serve publishes each STORAGE directory at /cvmfs/<fqrn>/ (fqrn from the
directory's .cvmfspublished, else its name) plus /cvmfs/info/v1/repositories.json.
Manifests and other .cvmfs* files expire after 61 s, data objects after 3 days;
no Last-Modified or ETag. It prints the served URLs when ready and stops
gracefully on SIGINT/SIGTERM. Access log lines go to stderr, written out in
batches at least every 0.5 s (--quiet: none).`,
		Example: "  ucvm serve --listen 127.0.0.1:8000 /srv/cvmfs/demo.local",
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cliutil.Usagef("give at least one STORAGE directory")
			}
			cfg.Storage = args
			var w io.Writer = io.Discard
			if !quiet {
				al := serve.NewAccessLog(os.Stderr, 0)
				defer al.Close()
				w = al
			}
			cfg.Log = slog.New(slog.NewTextHandler(w, nil))
			cfg.Out = cmd.OutOrStdout()
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return serve.Run(ctx, cfg)
		},
	}
	cmd.Flags().StringVar(&cfg.Listen, "listen", "127.0.0.1:8000", "address to listen on (host:port)")
	cmd.Flags().StringVar(&cfg.ReadyFile, "ready-file", "", "write the served URLs to this file once listening")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "no access log")
	return cmd
}
