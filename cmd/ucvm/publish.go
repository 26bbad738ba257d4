package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/publish"
	"github.com/ucvm/ucvm/internal/publish/chunk"
)

func init() { register(newPublishCmd) }

func newPublishCmd() *cobra.Command {
	var o publish.Options
	var quiet, noChunk bool
	var minC, avgC, maxC int
	c := &cobra.Command{
		Use:   "publish FQRN --storage DIR --keys DIR [--tag NAME] SOURCE",
		Short: "Publish a directory or tar stream as the new revision of a repository",
		Long: `Publish SOURCE (a directory, a .tar or .tar.gz file, or - for a tar stream on
standard input) as the complete new state of the repository: files missing from
SOURCE are deleted in the new revision. Unchanged files (same size, mtime and
mode) and unchanged nested catalogs are reused; new content is chunked
(files > 4 MiB), compressed, hashed and stored in parallel. Directories holding
a .cvmfscatalog file become nested catalogs. The previous revision stays served
until the new signed manifest is installed, last and atomically.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.FQRN, o.Source = args[0], args[1]
			if o.Storage == "" || o.Keys == "" {
				return fmt.Errorf("--storage DIR and --keys DIR are required")
			}
			o.NoChunking = noChunk
			if minC > 0 {
				o.Chunk = chunk.Params{Min: minC, Avg: avgC, Max: maxC}
			}
			if !quiet {
				o.Progress = os.Stderr
			}
			o.Stdin = cmd.InOrStdin()
			res, err := publish.Publish(cmd.Context(), o)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), res.Stats.Summary(o.FQRN, res.Manifest.Revision))
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&o.Storage, "storage", "", "repository storage directory (made by `ucvm repo create`)")
	f.StringVar(&o.Keys, "keys", "", "keys directory with FQRN.key, FQRN.crt and FQRN.pub")
	f.StringVar(&o.Tag, "tag", "", "also tag the new revision with NAME")
	f.StringVar(&o.TagDescription, "message", "", "description of the tag")
	f.IntVarP(&o.Workers, "workers", "j", 0, "parallel workers (default: 2 × CPU cores)")
	f.BoolVar(&noChunk, "no-chunking", false, "store big files whole")
	f.BoolVar(&o.NoCompression, "no-compression", false, "store file contents uncompressed")
	f.IntVar(&minC, "min-chunk", 0, "minimum chunk size in bytes (with --avg-chunk, --max-chunk)")
	f.IntVar(&avgC, "avg-chunk", 0, "average chunk size in bytes")
	f.IntVar(&maxC, "max-chunk", 0, "maximum chunk size in bytes")
	f.Int64Var(&o.TTL, "ttl", 0, "catalog TTL in seconds (default 240)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress display")
	return c
}
