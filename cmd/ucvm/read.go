package main

import (
	"context"
	"crypto/rsa"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/cliutil"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/fetch"
	"github.com/ucvm/ucvm/internal/reader"
	"github.com/ucvm/ucvm/internal/tree"
)

func init() {
	register(newInfoCmd)
	register(newLsCmd)
	register(newCatCmd)
	register(newTagsCmd)
	register(newTreeCmd)
}

// repoFlags are the flags shared by the read commands.
type repoFlags struct {
	url, storage, tag, rootHash, cache string
	keys                               []string
	timeout                            time.Duration
}

func (f *repoFlags) add(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.url, "url", "", "server URL list, ';'-separated, @fqrn@ expanded (e.g. http://127.0.0.1:8000/cvmfs/@fqrn@)")
	fl.StringVar(&f.storage, "storage", "", "read a repository storage directory instead of a server")
	fl.StringSliceVar(&f.keys, "key", nil, "master public key file or directory of *.pub files (repeatable)")
	fl.StringVar(&f.tag, "tag", "", "open this tag instead of the newest revision")
	fl.StringVar(&f.rootHash, "root-hash", "", "open this root catalog hash (trusted, no manifest check)")
	fl.StringVar(&f.cache, "cache", "", "keep verified objects in this directory (default: a temporary one)")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Second, "network timeout per attempt")
}

// open opens the repository named by args[0] and returns a cleanup function.
func (f *repoFlags) open(ctx context.Context, fqrn string) (*reader.Repo, func(), error) {
	if (f.url == "") == (f.storage == "") {
		return nil, nil, cliutil.Usagef("give exactly one of --url URL or --storage DIR")
	}
	if len(f.keys) == 0 && f.rootHash == "" {
		return nil, nil, cliutil.Usagef("--key FILE|DIR is required to verify %s (its master public key, e.g. keys/%s.pub)", fqrn, fqrn)
	}
	var masters []*rsa.PublicKey
	if len(f.keys) > 0 {
		var err error
		if masters, err = keys.LoadPublic(f.keys...); err != nil {
			return nil, nil, err
		}
	}
	cleanup := func() {}
	dir := f.cache
	if dir == "" {
		tmp, err := os.MkdirTemp("", "ucvm-cache-")
		if err != nil {
			return nil, nil, err
		}
		dir, cleanup = tmp, func() { os.RemoveAll(tmp) }
	}
	cache, err := reader.NewDirCache(dir)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	var src reader.Source = reader.DirSource{Dir: f.storage}
	if f.url != "" {
		cfg := fetch.DefaultConfig()
		cfg.Hosts = fetch.ParseHostList(f.url, fqrn)
		cfg.Timeout, cfg.TimeoutDirect = f.timeout, f.timeout
		fe, err := fetch.New(cfg)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		src = reader.FetchSource{F: fe}
	}
	r, err := reader.Open(ctx, reader.Options{FQRN: fqrn, Source: src, Cache: cache, MasterKeys: masters, Tag: f.tag, RootHash: f.rootHash})
	if err != nil {
		cleanup()
		return nil, nil, fmt.Errorf("%s: %w", fqrn, err)
	}
	return r, func() { r.Close(); cleanup() }, nil
}

// with returns a RunE that opens the repository named by args[0], calls fn
// and releases everything afterwards.
func (f *repoFlags) with(fn func(cmd *cobra.Command, r *reader.Repo, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		r, done, err := f.open(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		defer done()
		return fn(cmd, r, args)
	}
}

func newInfoCmd() *cobra.Command {
	var f repoFlags
	c := &cobra.Command{
		Use:   "info FQRN",
		Short: "Show the verified manifest of a repository: revision, root hash, timestamps, tags",
		Args:  cobra.ExactArgs(1),
		RunE: f.with(func(cmd *cobra.Command, r *reader.Repo, args []string) error {
			return printInfo(cmd.Context(), cmd.OutOrStdout(), r)
		}),
	}
	f.add(c)
	return c
}

func printInfo(ctx context.Context, w io.Writer, r *reader.Repo) error {
	i := r.Info()
	tw := tabwriter.NewWriter(w, 0, 2, 2, ' ', 0)
	fmt.Fprintf(tw, "repository:\t%s\n", i.FQRN)
	fmt.Fprintf(tw, "revision:\t%d\n", i.Revision)
	fmt.Fprintf(tw, "root hash:\t%s\n", i.RootHash)
	fmt.Fprintf(tw, "published:\t%s\n", time.Unix(i.Timestamp, 0).UTC().Format(time.RFC3339))
	fmt.Fprintf(tw, "ttl:\t%s\n", i.TTL)
	if i.Tag != "" {
		fmt.Fprintf(tw, "tag:\t%s\n", i.Tag)
	}
	if m := i.Manifest; m != nil {
		fmt.Fprintf(tw, "certificate:\t%s\n", m.Certificate)
		fmt.Fprintf(tw, "history:\t%s\n", m.History)
		fmt.Fprintf(tw, "garbage collectable:\t%v\n", m.GarbageCollect)
		tags, err := r.Tags(ctx)
		if err != nil {
			return err
		}
		names := make([]string, 0, len(tags))
		for _, t := range tags {
			names = append(names, t.Name)
		}
		fmt.Fprintf(tw, "tags:\t%s\n", strings.Join(names, " "))
	}
	return tw.Flush()
}

func newTagsCmd() *cobra.Command {
	var f repoFlags
	c := &cobra.Command{
		Use:   "tags FQRN",
		Short: "List the tags (named snapshots) of a repository",
		Args:  cobra.ExactArgs(1),
		RunE: f.with(func(cmd *cobra.Command, r *reader.Repo, args []string) error {
			tags, err := r.Tags(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tREVISION\tPUBLISHED\tROOT HASH\tDESCRIPTION")
			for _, t := range tags {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", t.Name, t.Revision, time.Unix(t.Timestamp, 0).UTC().Format(time.RFC3339), t.Hash, t.Description)
			}
			return tw.Flush()
		}),
	}
	f.add(c)
	return c
}

func newTreeCmd() *cobra.Command {
	var f repoFlags
	c := &cobra.Command{
		Use:   "tree FQRN",
		Short: "Print the canonical listing of a revision (path type mode uid gid size mtime data)",
		Long: `Print one tab-separated line per entry, sorted by path bytes:
  path  type  mode  uid  gid  size  mtime  data
type d f l p c b s; mode octal permission bits; data = SHA-1 of the file content,
the raw symlink target, major,minor for devices, - otherwise. Every file is
fetched and verified to compute its SHA-1.`,
		Args: cobra.ExactArgs(1),
		RunE: f.with(func(cmd *cobra.Command, r *reader.Repo, args []string) error {
			lines, err := tree.FromRepo(cmd.Context(), r)
			if err != nil {
				return err
			}
			return tree.Write(cmd.OutOrStdout(), lines)
		}),
	}
	f.add(c)
	return c
}
