package main

import (
	"crypto/rand"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/cliutil"
	"github.com/ucvm/ucvm/internal/image/sign"
	"github.com/ucvm/ucvm/internal/image/spec"
	"github.com/ucvm/ucvm/internal/testutil"
)

func TestImageSpecAndBadInput(t *testing.T) {
	out, err := ucvm(t, "image", "spec")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spec.Parse([]byte(out), "/"); err != nil {
		t.Fatalf("printed default does not parse: %v", err)
	}
	dir := t.TempDir()
	_, err = ucvm(t, "image", "build", "--out", dir, "--format", "iso,floppy")
	if cliutil.ExitCode(err) != cliutil.ExitUsage || !strings.Contains(err.Error(), `format "floppy" is not supported`) {
		t.Fatalf("unsupported format: %v", err)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte(strings.Replace(out, "busybox: true", "busybox: true\nbusybx: true", 1)), 0o644)
	_, err = ucvm(t, "image", "build", bad, "--out", dir)
	if !errors.Is(err, spec.ErrInvalid) || !strings.Contains(err.Error(), "busybx") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("unknown key: %v", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("failed builds left files: %v", ents)
	}
}

func TestImageSignVerifyCLI(t *testing.T) {
	testutil.RequireCommand(t, "openssl")
	dir := t.TempDir()
	key, cert := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	gen := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
		"-subj", "/DC=ch/DC=cern/OU=computers/CN=cvm-sign02.cern.ch", "-days", "2")
	if b, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, b)
	}
	img := filepath.Join(dir, "ucvm-prod.2026.11-1.ucvm.x86_64.iso")
	data := make([]byte, 200_000)
	rand.Read(data)
	os.WriteFile(img, data, 0o644)
	if _, err := ucvm(t, "image", "sign", img, "--key", key, "--cert", cert, "--snapshot", "HEAD4"); err != nil {
		t.Fatal(err)
	}
	out, err := ucvm(t, "image", "verify", img, "--ca", cert, "--subject", "/DC=ch/DC=cern/OU=computers/CN=cvm-sign02.cern.ch")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"ucernvm-version": "2026.11-1.ucvm.x86_64"`, `"os-repo": "prod"`, `"snapshot": "HEAD4"`, `"verified": true`} {
		if !strings.Contains(out, want) {
			t.Errorf("verify output lacks %s:\n%s", want, out)
		}
	}
	b, _ := os.ReadFile(img)
	b[100] ^= 1
	os.WriteFile(img, b, 0o644)
	if _, err := ucvm(t, "image", "verify", img, "--ca", cert); !errors.Is(err, sign.ErrBadSignature) {
		t.Fatalf("flipped byte: %v", err)
	}
}
