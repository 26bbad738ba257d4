package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/fusefs"
)

func init() { register(newTalkCmd) }

func newTalkCmd() *cobra.Command {
	var f configFlags
	var cacheDir string
	var timeout time.Duration
	c := &cobra.Command{
		Use:   "talk FQRN COMMAND...",
		Short: "Send a command to a running mount daemon (pin, pins, cache usage, cleanup, remount, host/proxy info|switch, revision)",
		Long: "Talk to the daemon of a mounted repository through its control socket in the cache directory.\n\nCommands:\n" +
			fusefs.CommandHelp,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := cacheDir
			if dir == "" {
				cc, err := f.load(args[0], cmd.ErrOrStderr())
				if err != nil {
					return err
				}
				dir = fusefs.CacheDir(cc)
			}
			out, err := fusefs.Talk(fusefs.SocketPath(dir, args[0]), strings.Join(args[1:], " "), timeout)
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), out)
			return nil
		},
	}
	f.add(c)
	c.Flags().StringVar(&cacheDir, "cache-dir", "", "cache directory of the mount (default: from the configuration)")
	c.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for the answer (pin downloads)")
	return c
}
