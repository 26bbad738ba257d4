package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/reader"
)

func newLsCmd() *cobra.Command {
	var f repoFlags
	c := &cobra.Command{
		Use:   "ls FQRN [PATH]",
		Short: "List a directory of a repository (verified)",
		Args:  cobra.RangeArgs(1, 2),
		RunE: f.with(func(cmd *cobra.Command, r *reader.Repo, args []string) error {
			p := ""
			if len(args) == 2 {
				p = args[1]
			}
			nodes, err := r.ReadDir(cmd.Context(), p)
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 1, ' ', 0)
			for _, n := range nodes {
				name := n.Name
				if n.IsSymlink() {
					name += " -> " + n.Symlink
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", n.FileMode(), n.UID, n.GID, n.Size,
					time.Unix(n.Mtime, 0).UTC().Format("2006-01-02 15:04"), name)
			}
			return tw.Flush()
		}),
	}
	f.add(c)
	return c
}

func newCatCmd() *cobra.Command {
	var f repoFlags
	c := &cobra.Command{
		Use:   "cat FQRN PATH",
		Short: "Print a file of a repository; only verified bytes are written",
		Args:  cobra.ExactArgs(2),
		RunE: f.with(func(cmd *cobra.Command, r *reader.Repo, args []string) error {
			n, err := r.Lookup(cmd.Context(), args[1])
			if err != nil {
				return err
			}
			file, err := r.Open(cmd.Context(), n)
			if err != nil {
				return err
			}
			defer file.Close()
			_, err = io.Copy(cmd.OutOrStdout(), io.NewSectionReader(file, 0, file.Size()))
			return err
		}),
	}
	f.add(c)
	return c
}
