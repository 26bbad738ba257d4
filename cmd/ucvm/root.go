package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"
)

// commandFactories is filled by the init functions of the files of this
// package, one per command group, so that adding a command touches one file.
var commandFactories []func() *cobra.Command

// register adds a top-level command factory.
func register(f func() *cobra.Command) { commandFactories = append(commandFactories, f) }

func newRootCmd() *cobra.Command {
	var verbose bool
	root := &cobra.Command{
		Use:   "ucvm",
		Short: "µCernVM in Go: CernVM-FS repositories, client, boot images and appliance tools",
		Long: `ucvm builds and runs an "operating system on demand": a tiny boot image whose
/init mounts a full OS from a signed, content-addressed CernVM-FS repository.

Typical flow:
  ucvm repo create demo.local --storage /srv/cvmfs/demo.local --keys keys/
  ucvm publish demo.local --storage /srv/cvmfs/demo.local --keys keys/ --tag v1 ./rootfs
  ucvm serve --listen 127.0.0.1:8000 /srv/cvmfs/demo.local
  ucvm tree --url http://127.0.0.1:8000/cvmfs/@fqrn@ --key keys/ demo.local

Exit codes: 0 success, 1 error, 2 usage error, 100 update available (ucvm update --check).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, args []string) {
			level := slog.LevelWarn
			if verbose {
				level = slog.LevelDebug
			}
			slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})))
		},
	}
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "verbose logging to stderr")
	for _, f := range commandFactories {
		root.AddCommand(f())
	}
	return root
}
