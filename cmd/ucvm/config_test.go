package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runConfigCmd(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), errb.String(), err
}

func TestConfigShowAndExplain(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "config.d"), 0o755)
	os.WriteFile(filepath.Join(dir, "config.d", "demo.local.conf"),
		[]byte("CVMFS_SERVER_URL=http://127.0.0.1:8000/cvmfs/@fqrn@\nCVMFS_TIMEOUT=3\nCVMFS_TIMOUT=4\n"), 0o644)
	extra := filepath.Join(dir, "extra.conf")
	os.WriteFile(extra, []byte("CVMFS_TIMEOUT=8\n"), 0o644)

	out, stderr, err := runConfigCmd(t, "config", "show", "demo.local", "--config-dir", dir,
		"--config", extra, "-o", "CVMFS_MAX_RETRIES=4,CVMFS_HTTP_PROXY=DIRECT")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CVMFS_SERVER_URL=http://127.0.0.1:8000/cvmfs/demo.local\n",
		"CVMFS_TIMEOUT=8\n", "CVMFS_MAX_RETRIES=4\n", "CVMFS_HTTP_PROXY=DIRECT\n", "CVMFS_QUOTA_LIMIT=4000\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := 1; i < len(lines); i++ {
		if lines[i-1] > lines[i] {
			t.Fatalf("not sorted: %q > %q", lines[i-1], lines[i])
		}
	}
	if !strings.Contains(stderr, "demo.local.conf:3: unknown parameter CVMFS_TIMOUT") {
		t.Errorf("warning missing: %s", stderr)
	}
	out, _, err = runConfigCmd(t, "config", "explain", "demo.local", "CVMFS_TIMEOUT", "--config-dir", dir, "--config", extra)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "from "+extra+":1") || !strings.Contains(out, `overrode "3" from `+filepath.Join(dir, "config.d", "demo.local.conf")+":2") {
		t.Fatalf("explain:\n%s", out)
	}
	if _, _, err = runConfigCmd(t, "config", "show", "demo.local", "--config-dir", dir, "-o", "CVMFS_TIMEOUT=soon"); err == nil ||
		!strings.Contains(err.Error(), "integer") {
		t.Fatalf("bad -o value: %v", err)
	}
}
