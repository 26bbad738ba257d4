package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/cliutil"
)

// ucvm runs the command tree in-process and returns stdout and the error.
func ucvm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(io.Discard)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestCLIRepositoryLifecycle(t *testing.T) {
	d := t.TempDir()
	storage, keysDir, src := filepath.Join(d, "s"), filepath.Join(d, "k"), filepath.Join(d, "src")
	os.MkdirAll(filepath.Join(src, "etc"), 0o755)
	os.WriteFile(filepath.Join(src, "etc", "motd"), []byte("hello\n"), 0o644)
	if _, err := ucvm(t, "repo", "create", "cli.ucvm.local", "--storage", storage, "--keys", keysDir); err != nil {
		t.Fatal(err)
	}
	out, err := ucvm(t, "publish", "cli.ucvm.local", "--storage", storage, "--keys", keysDir, "--tag", "v1", "-q", src)
	if err != nil || !strings.Contains(out, "revision 2") {
		t.Fatalf("publish: %q %v", out, err)
	}
	out, err = ucvm(t, "cat", "cli.ucvm.local", "/etc/motd", "--storage", storage, "--key", keysDir)
	if err != nil || out != "hello\n" {
		t.Fatalf("cat: %q %v", out, err)
	}
	out, err = ucvm(t, "tree", "cli.ucvm.local", "--storage", storage, "--key", keysDir, "--tag", "v1")
	if err != nil || !strings.Contains(out, "etc/motd\tf\t0644\t") {
		t.Fatalf("tree: %q %v", out, err)
	}
	out, err = ucvm(t, "tags", "cli.ucvm.local", "--storage", storage, "--key", keysDir)
	if err != nil || !strings.Contains(out, "v1") || !strings.Contains(out, "trunk-previous") {
		t.Fatalf("tags: %q %v", out, err)
	}
	// bad inputs: one error each, with the right exit code
	if _, err := ucvm(t, "repo", "create", "cli.ucvm.local", "--storage", storage, "--keys", keysDir); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("create over an existing repository: %v", err)
	}
	if _, err := ucvm(t, "tree", "cli.ucvm.local", "--key", keysDir); cliutil.ExitCode(err) != cliutil.ExitUsage {
		t.Fatalf("missing --url/--storage: exit %d (%v)", cliutil.ExitCode(err), err)
	}
	if _, err := ucvm(t, "cat", "cli.ucvm.local", "/nope", "--storage", storage, "--key", keysDir); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("missing file: %v", err)
	}
	other := filepath.Join(d, "other")
	if _, err := ucvm(t, "repo", "create", "other.ucvm.local", "--storage", filepath.Join(d, "s2"), "--keys", other); err != nil {
		t.Fatal(err)
	}
	if _, err := ucvm(t, "info", "cli.ucvm.local", "--storage", storage, "--key", filepath.Join(other, "other.ucvm.local.pub")); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("foreign master key accepted: %v", err)
	}
}
