package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/cliutil"
	"github.com/ucvm/ucvm/internal/rebase"
	"github.com/ucvm/ucvm/internal/update"
)

func init() { register(newUpdateCmd) }

type updateFlags struct {
	root, forceTag, policy, bin string
	check, apply, bootloader    bool
	motd, installTimer          bool
	timeout                     time.Duration
}

func (f *updateFlags) modes() int {
	n := 0
	for _, on := range []bool{f.check, f.apply, f.forceTag != "", f.bootloader, f.motd, f.policy != "", f.installTimer} {
		if on {
			n++
		}
	}
	return n
}

func newUpdateCmd() *cobra.Command {
	var f updateFlags
	c := &cobra.Command{
		Use:   "update",
		Short: "Show, check and apply OS and bootloader updates of a booted ucvm machine",
		Long: `Without a mode: print the installed (pinned) and available OS snapshot and the
running and available bootloader versions.

  --check        exit 0 when up to date, 100 when an OS or bootloader update is available
  --apply        unpin the OS: the next boot mounts the newest snapshot, pins it and
                 rebases local changes (policy: --policy)
  --force-tag T  boot tag T from now on (until --apply)
  --bootloader   stage the newest update pack into /mnt/.rw/kexec (kexec at the next boot)
  --motd         note available updates in /etc/motd (run daily by the systemd timer)
  --policy P     stay | diverge | rebase: what an OS update does to local changes
  --install-timer  install and enable the daily check (systemd timer) below --root

See docs/updates.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.modes() > 1 {
				return cliutil.Usagef("give at most one of --check, --apply, --force-tag, --bootloader, --motd, --policy, --install-timer")
			}
			return runUpdate(cmd, f)
		},
	}
	fl := c.Flags()
	fl.StringVar(&f.root, "root", "/", "root of the machine (its scratch disk is ROOT/mnt/.rw)")
	fl.BoolVar(&f.check, "check", false, "exit 100 if an update is available, 0 if up to date")
	fl.BoolVar(&f.apply, "apply", false, "unpin the OS snapshot; the next boot mounts the newest and rebases")
	fl.StringVar(&f.forceTag, "force-tag", "", "boot this repository tag from the next boot on")
	fl.BoolVar(&f.bootloader, "bootloader", false, "download, verify and stage the newest bootloader update pack")
	fl.BoolVar(&f.motd, "motd", false, "write update notices into ROOT/etc/motd")
	fl.StringVar(&f.policy, "policy", "", "set the update policy: stay, diverge or rebase")
	fl.BoolVar(&f.installTimer, "install-timer", false, "install the daily update check units into ROOT/etc/systemd/system")
	fl.StringVar(&f.bin, "bin", "", "with --install-timer: path of ucvm inside the OS (default: this binary)")
	fl.DurationVar(&f.timeout, "timeout", 10*time.Second, "network timeout per attempt")
	return c
}

func runUpdate(cmd *cobra.Command, f updateFlags) error {
	ctx, out := cmd.Context(), cmd.OutOrStdout()
	o := update.Options{Root: f.root, Timeout: f.timeout}
	switch {
	case f.policy != "":
		p, err := rebase.ParsePolicy(f.policy)
		if err != nil {
			return cliutil.Usagef("%v", err)
		}
		if err := update.SetPolicy(o, p); err != nil {
			return err
		}
		fmt.Fprintf(out, "update policy: %s\n", p)
	case f.installTimer:
		bin := f.bin
		if bin == "" {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			bin = exe
		}
		files, err := update.InstallUnits(f.root, bin)
		if err != nil {
			return err
		}
		for _, p := range files {
			fmt.Fprintln(out, "installed", p)
		}
	case f.apply:
		a, err := update.ApplyOS(ctx, o)
		if errors.Is(err, update.ErrUpToDate) {
			fmt.Fprintf(out, "OS is up to date (%s)\n", a.Status.Available)
			return nil
		}
		if errors.Is(err, update.ErrUnpinned) {
			fmt.Fprintf(out, "%v (%s)\n", err, a.Status.Available)
			return nil
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Unpinned: the next boot mounts %s and rebases local changes.\n", a.Status.Available)
		for _, p := range a.Archived {
			fmt.Fprintln(out, "archived", p)
		}
		fmt.Fprintln(out, "Please reboot to apply the OS update.")
	case f.forceTag != "":
		st, err := update.ForceTag(ctx, o, f.forceTag)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "Forced tag %s (%s): please reboot.\n", f.forceTag, st.Available)
	case f.bootloader:
		s, err := update.StageBootloader(ctx, o)
		if errors.Is(err, update.ErrUpToDate) {
			fmt.Fprintf(out, "bootloader is up to date (newest pack %s)\n", s.Pack.Version)
			return nil
		}
		if err != nil {
			return err
		}
		sig := "unsigned (content verified by the repository signature)"
		if s.Signed {
			sig = "signed by " + s.Signer
		}
		fmt.Fprintf(out, "Staged bootloader %s in %s (sha256 %s, %s).\n", s.Apply.Version, s.Dir, s.SHA256, sig)
		fmt.Fprintf(out, "Please reboot to load the updated bootloader %s.\n", s.Apply.Version)
	case f.motd:
		st, err := update.Motd(ctx, o)
		if err != nil {
			return err
		}
		for _, n := range st.Notices() {
			fmt.Fprintln(out, n)
		}
	default:
		st, err := update.Check(ctx, o)
		if err != nil {
			return err
		}
		if f.check {
			for _, n := range st.Notices() {
				fmt.Fprintln(out, n)
			}
			if st.Updates() {
				return &cliutil.ExitError{Code: cliutil.ExitUpdate, Err: errors.New("update available")}
			}
			fmt.Fprintln(out, "up to date")
			return nil
		}
		st.Print(out)
	}
	return nil
}
