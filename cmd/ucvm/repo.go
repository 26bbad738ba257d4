package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/repo"
)

func init() { register(newRepoCmd) }

func newRepoCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "repo",
		Short: "Create a repository and manage its keys and whitelist",
	}
	c.AddCommand(newRepoCreateCmd(), newRepoResignCmd())
	return c
}

func newRepoCreateCmd() *cobra.Command {
	var storage, keysDir string
	c := &cobra.Command{
		Use:   "create FQRN --storage DIR --keys DIR",
		Short: "Create a new repository: keys, whitelist, empty revision 1 tagged trunk",
		Long: `Create a new CernVM-FS repository in an empty storage directory, like
'cvmfs_server mkfs': a master key pair (FQRN.masterkey, FQRN.pub), a repository
key and self-signed certificate (FQRN.key, FQRN.crt) in the keys directory
(private keys mode 0600; existing keys are reused, never overwritten), a
whitelist valid for 30 days, the .cvmfs_master_replica marker and an empty
revision 1 with tag trunk. Distribute FQRN.pub to clients.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if storage == "" || keysDir == "" {
				return fmt.Errorf("--storage DIR and --keys DIR are required")
			}
			_, m, err := repo.Create(args[0], storage, keysDir, time.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created %s revision %d in %s (keys in %s)\n", m.Name, m.Revision, storage, keysDir)
			return nil
		},
	}
	c.Flags().StringVar(&storage, "storage", "", "storage directory to create (served as /cvmfs/FQRN)")
	c.Flags().StringVar(&keysDir, "keys", "", "directory for the key files")
	return c
}

func newRepoResignCmd() *cobra.Command {
	var storage, keysDir string
	c := &cobra.Command{
		Use:   "resign FQRN --storage DIR --keys DIR",
		Short: "Renew the whitelist for another 30 days (needs the master key)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := repo.Open(storage)
			if err != nil {
				return err
			}
			ks, err := keys.Load(keysDir, args[0])
			if err != nil {
				return err
			}
			now := time.Now()
			if err := s.Resign(args[0], ks, now); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "whitelist of %s valid until %s\n", args[0], now.Add(repo.WhitelistLifetime).UTC().Format(time.RFC3339))
			return nil
		},
	}
	c.Flags().StringVar(&storage, "storage", "", "repository storage directory")
	c.Flags().StringVar(&keysDir, "keys", "", "directory with FQRN.masterkey and FQRN.crt")
	return c
}
