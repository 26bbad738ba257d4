package rebase

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ucvm/ucvm/internal/overlay"
	"github.com/ucvm/ucvm/internal/testutil"
)

// newOS is the new lower tree of the layer tests.
var newOS = map[string]string{
	"usr/bin/tool":         "tool v2",
	"usr/lib/restored":     "restored v2",
	"usr/share/doc/a":      "doc a v2",
	"usr/share/doc/b":      "doc b v2",
	"etc/conf":             "conf v2",
	"etc/other":            "other v2",
	"var/lib/dpkg/status":  "dpkg v2",
	"var/lib/rpm/Packages": "rpm v2",
	"var/log/app.log":      "log v2",
	"root/.bashrc":         "bashrc v2",
	"opt/thing":            "thing is a file in v2",
	"etc/passwd":           "root:x:0:0:root:/root:/bin/sh\n",
}

// localLayer is an upper dir with every kind of local change.
func localLayer(t *testing.T, upper string) {
	put(t, upper, map[string]string{
		"usr/bin/tool":         "tool local",
		"etc/conf":             "conf local",
		"var/lib/dpkg/status":  "dpkg local",
		"var/lib/rpm/Packages": "rpm local",
		"var/log/app.log":      "log local",
		"root/.bashrc":         "bashrc local",
		"usr/local/bin/mine":   "mine",
		"home/user/notes":      "notes",
		"opt/thing/inside":     "local dir where v2 has a file",
		"usr/share/doc/c":      "local file in an opaque dir",
	})
	whiteout(t, upper, "usr/lib/restored")
	whiteout(t, upper, "usr/lib/gone-upstream")
	whiteout(t, upper, "etc/other")
	opaque(t, upper, "usr/share/doc")
	opaque(t, upper, "etc/newdir")
}

func TestRebasePolicyRebase(t *testing.T) {
	testutil.RequireRoot(t)
	d := t.TempDir()
	upper, lower, aux := filepath.Join(d, "persistent"), filepath.Join(d, "new"), filepath.Join(d, "aux")
	put(t, lower, newOS)
	localLayer(t, upper)
	res, err := Run(Options{Upper: upper, Lower: lower, Aux: aux, Policy: Rebase, RootHash: "abc123", Now: fixedNow})
	if err != nil {
		t.Fatal(err)
	}
	u := func(p string) string { return filepath.Join(upper, p) }
	// whiteouts of files the new OS has are gone, others stay
	absent(t, u("usr/lib/restored"))
	absent(t, u("etc/other"))
	if fi := present(t, u("usr/lib/gone-upstream")); fi.Mode()&os.ModeCharDevice == 0 {
		t.Fatal("whiteout of a file the new OS lacks was changed")
	}
	// new OS wins outside the kept areas
	absent(t, u("usr/bin/tool"))
	absent(t, u("var/lib/dpkg/status"))
	absent(t, u("var/lib/rpm/Packages"))
	absent(t, u("opt/thing"))
	// kept areas keep their local copies
	for p, want := range map[string]string{"etc/conf": "conf local", "var/log/app.log": "log local", "root/.bashrc": "bashrc local",
		"usr/local/bin/mine": "mine", "home/user/notes": "notes", "usr/share/doc/c": "local file in an opaque dir"} {
		if got := read(t, u(p)); got != want {
			t.Errorf("%s = %q, want %q", p, got, want)
		}
	}
	if overlay.IsOpaque(u("usr/share/doc")) {
		t.Error("opaque marker of a directory the new OS has was kept")
	}
	if !overlay.IsOpaque(u("etc/newdir")) {
		t.Error("opaque marker of a local-only directory was removed")
	}
	want := Result{Policy: Rebase, Restored: 2, Unopaqued: 1, Preserved: 3, Dropped: 4}
	got := *res
	got.UIDMap, got.GIDMap, got.Log, got.AccountLog = "", "", "", ""
	if got != want {
		t.Fatalf("result %+v, want %+v", got, want)
	}
	log := read(t, filepath.Join(aux, "rebase-20261123T010203Z.log"))
	for _, l := range []string{"restore  /usr/lib/restored", "preserve /etc/conf", "rebase   /usr/bin/tool", "rebase   /opt/thing", "Rebased to abc123"} {
		contains(t, "rebase log", log, l)
	}
}

func TestRebasePolicyDivergeAndStay(t *testing.T) {
	testutil.RequireRoot(t)
	for _, p := range []Policy{Diverge, Stay} {
		t.Run(string(p), func(t *testing.T) {
			d := t.TempDir()
			upper, lower, aux := filepath.Join(d, "persistent"), filepath.Join(d, "new"), filepath.Join(d, "aux")
			put(t, lower, newOS)
			localLayer(t, upper)
			if _, err := Run(Options{Upper: upper, Lower: lower, Aux: aux, Policy: p, Now: fixedNow}); err != nil {
				t.Fatal(err)
			}
			present(t, filepath.Join(upper, "usr/lib/restored"))
			if read(t, filepath.Join(upper, "usr/bin/tool")) != "tool local" {
				t.Fatal("local copy changed")
			}
			if !overlay.IsOpaque(filepath.Join(upper, "usr/share/doc")) {
				t.Fatal("opaque marker removed")
			}
			_, err := os.Stat(filepath.Join(aux, "rebase-20261123T010203Z.log"))
			if (p == Stay) != os.IsNotExist(err) {
				t.Fatalf("policy %s: log file err %v", p, err)
			}
		})
	}
}

func TestKeptAreas(t *testing.T) {
	for rel, want := range map[string]bool{"etc": true, "etc/x/y": true, "var/log/x": true, "var/lib/rpm": false,
		"var/lib/rpm/x": false, "var/lib/dpkg/status": false, "var/lib/dpkgx": true, "root/.x": true,
		"usr/bin/x": false, "etcx": false, "rootfs/x": false, "home/u": false} {
		if kept(rel) != want {
			t.Errorf("kept(%q) = %v, want %v", rel, !want, want)
		}
	}
}

func TestBadInput(t *testing.T) {
	d := t.TempDir()
	if _, err := Run(Options{Upper: d, Lower: filepath.Join(d, "missing"), Aux: filepath.Join(d, "aux")}); err == nil {
		t.Fatal("missing new OS tree accepted")
	}
	if _, err := Run(Options{Upper: d, Lower: d, Aux: d, Policy: "sideways"}); err == nil {
		t.Fatal("bad policy accepted")
	}
	if err := os.MkdirAll(filepath.Join(d, "aux"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(d, PolicyFile), []byte("sideways\n"), 0o644)
	if _, err := ReadPolicy(d); err == nil {
		t.Fatal("bad policy file accepted")
	}
	if err := WritePolicy(d, Diverge); err != nil {
		t.Fatal(err)
	}
	if p, err := ReadPolicy(d); err != nil || p != Diverge {
		t.Fatalf("policy %q %v", p, err)
	}
}

func TestAtBoot(t *testing.T) {
	testutil.RequireRoot(t)
	rw, lower := t.TempDir(), t.TempDir()
	put(t, lower, newOS)
	if r, err := AtBoot(rw, lower, "h", true, nil); r != nil || err != nil {
		t.Fatalf("empty persistent/: %+v %v", r, err)
	}
	localLayer(t, filepath.Join(rw, "persistent"))
	if r, err := AtBoot(rw, lower, "h", false, nil); r != nil || err != nil {
		t.Fatalf("pinned mount: %+v %v", r, err)
	}
	if err := WritePolicy(rw, Diverge); err != nil {
		t.Fatal(err)
	}
	r, err := AtBoot(rw, lower, "h", true, nil)
	if err != nil || r.Policy != Diverge || r.Dropped != 0 {
		t.Fatalf("diverge at boot: %+v %v", r, err)
	}
	os.Remove(filepath.Join(rw, PolicyFile))
	if r, err = AtBoot(rw, lower, "h2", true, nil); err != nil || r.Policy != Rebase || r.Dropped != 4 {
		t.Fatalf("rebase at boot: %+v %v", r, err)
	}
	// a forced tag mounts fresh every boot: same snapshot, no second rebase
	put(t, filepath.Join(rw, "persistent"), map[string]string{"usr/bin/tool": "changed again"})
	if r, err = AtBoot(rw, lower, "h2", true, nil); r != nil || err != nil {
		t.Fatalf("second boot of the same snapshot: %+v %v", r, err)
	}
}
