package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/pinlist"
	"github.com/ucvm/ucvm/internal/reader"
)

func init() { register(newPinlistCmd) }

func newPinlistCmd() *cobra.Command {
	var f repoFlags
	var accessLog, under string
	c := &cobra.Command{
		Use:   "pinlist FQRN --access-log FILE --under OSPATH (--storage DIR | --url URL) --key KEY",
		Short: "Build an OS's .ucernvm_pinfiles from what a profiling boot downloaded",
		Long: `Build the bootloader's pin list for the OS tree at OSPATH of a repository:
boot once with an empty cache against ` + "`ucvm serve`" + `, then give its access log
(stderr of ucvm serve). The files below OSPATH whose objects were all
downloaded are printed, relative to OSPATH, in the order the boot first asked
for them. Put the output at OSPATH/.ucernvm_pinfiles and publish: the
bootloader pins that set at every boot and, on a cold cache, downloads it with
several workers while the OS starts.

  ucvm pinlist os.demo.ucvm --storage /srv/storage --key keys/os.demo.ucvm.pub \
      --under os --access-log serve.log > osroot/os/.ucernvm_pinfiles`,
		Args: cobra.ExactArgs(1),
		RunE: f.with(func(cmd *cobra.Command, r *reader.Repo, args []string) error {
			lf, err := os.Open(accessLog)
			if err != nil {
				return err
			}
			defer lf.Close()
			fetched, err := pinlist.FetchedObjects(lf)
			if err != nil {
				return fmt.Errorf("%s: %w", accessLog, err)
			}
			paths, err := pinlist.Build(cmd.Context(), r, "/"+strings.Trim(under, "/"), fetched)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "# core file set: %d files downloaded by a profiling boot (ucvm pinlist)\n", len(paths))
			for _, p := range paths {
				fmt.Fprintln(w, p)
			}
			return nil
		}),
	}
	f.add(c)
	c.Flags().StringVar(&accessLog, "access-log", "", "access log of ucvm serve during the profiling boot (required)")
	c.Flags().StringVar(&under, "under", "", "OS path in the repository (required), e.g. os")
	c.MarkFlagRequired("access-log")
	c.MarkFlagRequired("under")
	return c
}
