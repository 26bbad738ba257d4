package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/cliutil"
	"github.com/ucvm/ucvm/internal/pinlist"
	"github.com/ucvm/ucvm/internal/reader"
)

func init() { register(newBootpackCmd) }

func newBootpackCmd() *cobra.Command {
	var f repoFlags
	var list, accessLog, layer, under, out string
	c := &cobra.Command{
		Use:   "bootpack FQRN --under OSPATH (--layer DIR | --list FILE | --access-log FILE) --out FILE (--storage DIR | --url URL) --key KEY",
		Short: "Build an OS's boot pack: the files its boot reads, for fast cold boots",
		Long: `Build the boot pack of the OS tree at OSPATH of a published revision: the
files a boot reads, with their content and attributes from that revision, as
a compressed EROFS image with a manifest (docs/format.md "Boot pack"). Put it
at OSPATH/` + bootpack.FileName + ` of the source tree and publish again (the publisher
stores it uncompressed, in 2 MiB pieces, with the BLAKE3 digest of each piece
in its catalog entry, which the client verifies instead of SHA-1). On the first boot of a snapshot, the bootloader has
the client copy the image to the scratch disk and mounts it above the
repository before the OS starts, so a cold boot reads its files from local
disk instead of one download at a time through FUSE.

The pack is used only when every file, symlink and directory in it is exactly
what the booted snapshot has: build it again after each publication that
changes one of them (the demo does it after every publication). Needs
mkfs.erofs (Debian: erofs-utils) and, to give the image the repository's file
owners, root.

What goes in comes from a profiling boot of the OS with an empty cache and
ucvm.bootpack=off, best its boot layer (--layer: the layer's OS directory,
bootlayer/<root hash>/OSPATH on that VM's scratch disk, written at its
shutdown): the files and symlinks the boot read or looked up, the directories
it listed whole (opaque in the image, so the boot never asks the repository
about them) and whiteouts for the names it looked up in vain. Or a list
(--list, paths relative to OSPATH, # comments; "dir/" for a whole directory,
"!name" for a whiteout; e.g. OSPATH/.ucernvm_pinfiles), or the access log of
` + "`ucvm serve`" + ` during the profiling boot (--access-log, as for ucvm
pinlist: the files it downloaded). Symlinks that lead to packed files in
their directories are added.

  ucvm bootpack os.demo.ucvm --storage /srv/storage --key keys/os.demo.ucvm.pub \
      --under os --layer /mnt/scratch/bootlayer/<root hash>/os --out osroot/os/` + bootpack.FileName + `
  ucvm publish os.demo.ucvm --storage /srv/storage --keys keys --tag v1 osroot`,
		Args: cobra.ExactArgs(1),
		RunE: f.with(func(cmd *cobra.Command, r *reader.Repo, args []string) error {
			if n := len(slices.DeleteFunc([]string{list, accessLog, layer}, func(s string) bool { return s == "" })); n != 1 {
				return cliutil.Usagef("give exactly one of --layer DIR, --list FILE or --access-log FILE")
			}
			root := "/" + strings.Trim(under, "/")
			var paths []string
			var err error
			if layer != "" {
				paths, err = bootpack.ProfileFromLayer(layer)
			} else {
				paths, err = packList(cmd, r, root, list, accessLog)
			}
			if err != nil {
				return err
			}
			return writePack(cmd, r, root, paths, out)
		}),
	}
	f.add(c)
	c.Flags().StringVar(&layer, "layer", "", "boot layer of a profiling boot: its OS directory, bootlayer/<root hash>/OSPATH on the VM's scratch disk")
	c.Flags().StringVar(&list, "list", "", "file with the paths to pack, relative to OSPATH, one per line (dir/: whole directory, !name: whiteout)")
	c.Flags().StringVar(&accessLog, "access-log", "", "access log of ucvm serve during a profiling boot (the downloaded files are packed)")
	c.Flags().StringVar(&under, "under", "", "OS path in the repository (required), e.g. os")
	c.Flags().StringVar(&out, "out", "", "pack file to write (required), e.g. osroot/os/"+bootpack.FileName)
	c.MarkFlagRequired("under")
	c.MarkFlagRequired("out")
	return c
}

// packList reads the paths from a list file or derives them from an access log.
func packList(cmd *cobra.Command, r *reader.Repo, root, list, accessLog string) ([]string, error) {
	if accessLog != "" {
		lf, err := os.Open(accessLog)
		if err != nil {
			return nil, err
		}
		defer lf.Close()
		fetched, err := pinlist.FetchedObjects(lf)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", accessLog, err)
		}
		return pinlist.Build(cmd.Context(), r, root, fetched)
	}
	lf, err := os.Open(list)
	if err != nil {
		return nil, err
	}
	defer lf.Close()
	var paths []string
	sc := bufio.NewScanner(lf)
	for sc.Scan() {
		if p := strings.TrimSpace(sc.Text()); p != "" && !strings.HasPrefix(p, "#") {
			paths = append(paths, p)
		}
	}
	return paths, sc.Err()
}

// writePack writes the pack next to out and renames it into place.
func writePack(cmd *cobra.Command, r *reader.Repo, root string, paths []string, out string) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".bootpack-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	errw := cmd.ErrOrStderr()
	progress := cliutil.NewCounter(errw, "staging files")
	st, err := bootpack.Build(cmd.Context(), r, root, paths, tmp, progress.Update)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	progress.Stop()
	if err != nil {
		return fmt.Errorf("boot pack: %w", err)
	}
	fi, _ := os.Stat(out)
	fmt.Fprintf(cmd.OutOrStdout(), "%s: %d files (%.1f MB), %d symlinks, %d directories (%d whole), %d whiteouts; %d catalogs carried (%.1f MB); %.1f MB image, %.1f MB pack; skipped %d\n",
		out, st.Files, float64(st.Bytes)/1e6, st.Symlinks, st.Dirs, st.Opaque, st.Whiteouts, st.Carried, float64(st.CarriedBytes)/1e6,
		float64(st.ImageBytes)/1e6, float64(fi.Size())/1e6, len(st.Skipped))
	if st.NotCarried > 0 {
		fmt.Fprintf(errw, "%d catalogs not carried (over the budget of %d MB): a cold boot downloads them\n", st.NotCarried, bootpack.CarryBudget>>20)
	}
	for _, s := range st.Skipped {
		fmt.Fprintf(errw, "skipped (not exactly representable, or not as listed in the revision): %s\n", s)
	}
	return nil
}
