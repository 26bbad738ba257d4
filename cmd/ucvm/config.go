package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/clientconfig"
	"github.com/ucvm/ucvm/internal/cliutil"
)

func init() { register(newConfigCmd) }

// configFlags are the configuration source flags shared by the client
// commands (config, mount): --config-dir, --config, -o.
type configFlags struct {
	dir       string
	files     []string
	overrides []string
}

func (f *configFlags) add(c *cobra.Command) {
	c.Flags().StringVar(&f.dir, "config-dir", clientconfig.DefaultConfigDir, "configuration directory instead of /etc/cvmfs")
	c.Flags().StringArrayVar(&f.files, "config", nil, "extra configuration FILE read after all layers (repeatable)")
	c.Flags().StringArrayVarP(&f.overrides, "option", "o", nil, "KEY=VALUE[,KEY=VALUE...] overrides applied last (repeatable)")
}

// load reads the configuration of fqrn and prints its warnings to w.
func (f *configFlags) load(fqrn string, w io.Writer) (*clientconfig.Config, error) {
	opt := clientconfig.Options{ConfigDir: f.dir, ExtraFiles: f.files}
	for _, o := range f.overrides {
		items, err := clientconfig.ParseOverrides(o)
		if err != nil {
			return nil, cliutil.Usagef("%v", err)
		}
		opt.Overrides = append(opt.Overrides, items...)
	}
	c, err := clientconfig.Load(fqrn, opt)
	if err != nil {
		return nil, err
	}
	for _, warn := range c.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	return c, nil
}

func newConfigCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "config",
		Short: "Show the effective CernVM-FS client configuration of a repository",
		Long: `Reads the /etc/cvmfs layers the way the CernVM-FS client does (default.conf,
default.d/*.conf, default.local, domain.d/<domain>.conf/.local,
config.d/<fqrn>.conf/.local, config repository files), then --config files,
then -o overrides. Files are parsed, never executed; constructs outside the
supported shell subset are reported as warnings with file:line.`,
	}
	c.AddCommand(newConfigShowCmd(), newConfigExplainCmd())
	return c
}

func newConfigShowCmd() *cobra.Command {
	var f configFlags
	var origins bool
	c := &cobra.Command{
		Use:   "show FQRN",
		Short: "Print the effective parameters as sorted KEY=VALUE lines",
		Example: `  ucvm config show atlas.cern.ch
  ucvm config show demo.local --config-dir ./etc -o CVMFS_SERVER_URL=http://127.0.0.1:8000/cvmfs/@fqrn@ --origins`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.load(args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, p := range cfg.Effective() {
				if !strings.HasPrefix(p.Key, "CVMFS_") {
					continue
				}
				if origins {
					fmt.Fprintf(out, "%s=%s    # from %s\n", p.Key, p.Value.Value, p.Origin)
				} else {
					fmt.Fprintf(out, "%s=%s\n", p.Key, p.Value.Value)
				}
			}
			return nil
		},
	}
	f.add(c)
	c.Flags().BoolVar(&origins, "origins", false, "append where each value came from")
	return c
}

func newConfigExplainCmd() *cobra.Command {
	var f configFlags
	c := &cobra.Command{
		Use:     "explain FQRN KEY",
		Short:   "Print a parameter's value, the file:line it came from and what it overrode",
		Example: `  ucvm config explain atlas.cern.ch CVMFS_HTTP_PROXY`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := f.load(args[0], cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), cfg.Explain(args[1]))
			return nil
		},
	}
	f.add(c)
	return c
}
