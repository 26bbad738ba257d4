package main

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/cliutil"
	"github.com/ucvm/ucvm/internal/image"
	"github.com/ucvm/ucvm/internal/image/sign"
	"github.com/ucvm/ucvm/internal/image/spec"
)

func init() { register(newImageCmd) }

func newImageCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "image",
		Short: "Build, sign and verify ucvm boot images (iso, hdd, cloud formats, update pack)",
	}
	c.AddCommand(newImageSpecCmd(), newImageBuildCmd(), newImageSignCmd(), newImageVerifyCmd())
	return c
}

func newImageSpecCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "spec",
		Short: "Print the default image build specification (YAML)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := cmd.OutOrStdout().Write(spec.DefaultYAML())
			return err
		},
	}
}

func newImageBuildCmd() *cobra.Command {
	var o image.Options
	var formats []string
	var params string
	c := &cobra.Command{
		Use:   "build [SPEC] --out DIR",
		Short: "Build the images of a spec (default: the embedded spec) into DIR",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := ""
			if len(args) == 1 {
				path = args[0]
			}
			s, err := spec.Load(path)
			if err != nil {
				return err
			}
			if len(formats) > 0 {
				s.Formats = formats
			}
			if params != "" {
				s.KernelParams = params
			}
			if err := s.Validate(); err != nil {
				return cliutil.Usagef("%v", err)
			}
			o.Progress = cmd.ErrOrStderr()
			// Ctrl-C stops the tools and removes the half-built output.
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			rep, err := image.Build(ctx, s, o)
			if err != nil {
				return err
			}
			rep.WriteText(cmd.OutOrStdout())
			return nil
		},
	}
	c.Flags().StringVarP(&o.Out, "out", "o", "", "output directory (required)")
	c.Flags().StringVar(&o.CacheDir, "cache", "", "kernel cache directory (default $UCVM_CACHE or ~/.cache/ucvm)")
	c.Flags().StringVar(&o.Bootloader, "bootloader", "", "prebuilt static /init instead of building ./cmd/ucvm-init")
	c.Flags().StringVar(&o.PACHelper, "pac-helper", "", "prebuilt static PAC evaluator instead of building ./cmd/ucvm-pac with /init (a prebuilt /init gets none unless named)")
	c.Flags().StringSliceVar(&formats, "format", nil, "formats to build instead of the spec's (comma-separated)")
	c.Flags().StringVar(&params, "kernel-params", "", "extra kernel parameters instead of the spec's")
	c.MarkFlagRequired("out")
	return c
}

// imageNameRE splits ucvm-<branch>.<version>.<format>.
var imageNameRE = regexp.MustCompile(`^ucvm-([a-z0-9_-]+)\.(\d{4}\.\d{2}-\d+\.ucvm\.[a-z0-9_]+)\.`)

func newImageSignCmd() *cobra.Command {
	var key, cert, chain string
	var meta sign.Metadata
	c := &cobra.Command{
		Use:   "sign IMAGE --key KEY --cert CERT [--chain FILE]",
		Short: "Append the 64 KiB signature block (metadata + RSA-SHA256 signature) to an image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if m := imageNameRE.FindStringSubmatch(filepath.Base(args[0])); m != nil {
				if meta.OSRepo == "" {
					meta.OSRepo = m[1]
				}
				if meta.Version == "" {
					meta.Version = m[2]
				}
			}
			if meta.Version == "" || meta.OSRepo == "" {
				return cliutil.Usagef("cannot tell version/branch from the file name %s: pass --version and --os-repo", args[0])
			}
			o := sign.Options{Meta: meta}
			var err error
			if o.KeyPEM, err = os.ReadFile(key); err != nil {
				return err
			}
			if o.CertPEM, err = os.ReadFile(cert); err != nil {
				return err
			}
			if chain != "" {
				if o.ChainPEM, err = os.ReadFile(chain); err != nil {
					return err
				}
			}
			if err := sign.Sign(args[0], o); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "signed %s (%s, %s, %s)\n", args[0], meta.Version, meta.OSRepo, meta.Snapshot)
			return nil
		},
	}
	c.Flags().StringVar(&key, "key", "", "RSA private key (PEM)")
	c.Flags().StringVar(&cert, "cert", "", "signer certificate (PEM)")
	c.Flags().StringVar(&chain, "chain", "", "intermediate certificates (PEM) to embed")
	c.Flags().StringVar(&meta.Version, "version", "", "ucvm strong version (default: from the file name)")
	c.Flags().StringVar(&meta.OSRepo, "os-repo", "", "branch name (default: from the file name)")
	c.Flags().StringVar(&meta.Snapshot, "snapshot", "HEAD", "repository tag the image boots")
	c.MarkFlagRequired("key")
	c.MarkFlagRequired("cert")
	return c
}

func newImageVerifyCmd() *cobra.Command {
	var ca, subject string
	c := &cobra.Command{
		Use:   "verify IMAGE [--ca FILE] [--subject DN]",
		Short: "Check an image's signature block and print its metadata",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o := sign.VerifyOptions{Subject: subject}
			if ca != "" {
				b, err := os.ReadFile(ca)
				if err != nil {
					return err
				}
				o.Roots = x509.NewCertPool()
				if !o.Roots.AppendCertsFromPEM(b) {
					return cliutil.Usagef("--ca %s holds no PEM certificate", ca)
				}
			}
			s, err := sign.Verify(args[0], o)
			if err != nil {
				return err
			}
			out := map[string]any{"metadata": s.Meta, "signer": sign.OpenSSLSubject(s.Certs[0].RawSubject), "verified": true}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(out)
		},
	}
	c.Flags().StringVar(&ca, "ca", "", "CA certificates (PEM) to trust (default: the system's)")
	c.Flags().StringVar(&subject, "subject", "", `expected signer DN, e.g. "/DC=ch/DC=cern/OU=computers/CN=cvm-sign02.cern.ch"`)
	return c
}
