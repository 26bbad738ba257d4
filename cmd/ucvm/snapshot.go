package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/cliutil"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/fetch"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/replicate"
)

func init() { register(newSnapshotCmd) }

func newSnapshotCmd() *cobra.Command {
	var url, storage string
	var keyPaths []string
	var workers int
	c := &cobra.Command{
		Use:   "snapshot FQRN --url URL --key FILE|DIR --storage DIR",
		Short: "Replicate a repository into a stratum-1 storage directory (incremental)",
		Long: `Pull the newest revision of a repository, its tags and previous revisions,
from a stratum-0 or another replica into a local storage directory, verifying
the manifest, whitelist and every object. Catalogs are stored only after all
objects below them, and .cvmfspublished last: an interrupted snapshot leaves
the replica serving its previous revision and resumes where it stopped.
Serve the result with 'ucvm serve'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if url == "" || storage == "" || len(keyPaths) == 0 {
				return cliutil.Usagef("--url, --key and --storage are required")
			}
			masters, err := keys.LoadPublic(keyPaths...)
			if err != nil {
				return err
			}
			cfg := fetch.DefaultConfig()
			cfg.Hosts = fetch.ParseHostList(url, args[0])
			fe, err := fetch.New(cfg)
			if err != nil {
				return err
			}
			start := time.Now()
			st, err := replicate.Snapshot(cmd.Context(), replicate.Options{FQRN: args[0], Source: reader.FetchSource{F: fe},
				Storage: storage, MasterKeys: masters, Workers: workers})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "replicated %s revision %d: %d catalogs, %d objects (%.1f MB) fetched, %d subtrees already present, %.1fs\n",
				args[0], st.Revision, st.Catalogs, st.Objects, float64(st.Bytes)/1e6, st.CatalogsPresent, time.Since(start).Seconds())
			return nil
		},
	}
	c.Flags().StringVar(&url, "url", "", "upstream URL list (';'-separated, @fqrn@ expanded)")
	c.Flags().StringSliceVar(&keyPaths, "key", nil, "master public key file or directory")
	c.Flags().StringVar(&storage, "storage", "", "replica storage directory")
	c.Flags().IntVarP(&workers, "workers", "j", 8, "parallel downloads")
	return c
}
