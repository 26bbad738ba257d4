package main

import (
	"crypto/sha1"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// snapshot maps every path below dir to "type size mtime sha1/target".
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out[rel] = "l " + target
		case d.IsDir():
			out[rel] = fmt.Sprintf("d %d", info.ModTime().Unix())
		default:
			b, _ := os.ReadFile(p)
			out[rel] = fmt.Sprintf("f %d %d %x", info.Size(), info.ModTime().Unix(), sha1.Sum(b))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDeterministicTreeAndMutation(t *testing.T) {
	c := config{files: 3000, bytes: 3_000_000, seed: 9, workers: 3}
	c.out = filepath.Join(t.TempDir(), "a")
	st, err := run(c)
	if err != nil {
		t.Fatal(err)
	}
	if st.files != 3000 || st.bytes != 3_000_000 || st.symlinks != 3 {
		t.Fatalf("stats %+v", st)
	}
	c2 := c
	c2.out, c2.workers = filepath.Join(t.TempDir(), "b"), 1
	if _, err := run(c2); err != nil {
		t.Fatal(err)
	}
	a, b := snapshot(t, c.out), snapshot(t, c2.out)
	if len(a) != len(b) || len(a) != 1+100*11+3000+3 {
		t.Fatalf("%d vs %d entries", len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("%s differs between runs: %q vs %q", k, v, b[k])
		}
	}
	texts, bins := 0, 0
	for k, v := range a {
		if filepath.Ext(k) == ".txt" {
			texts++
		} else if filepath.Ext(k) == ".bin" {
			bins++
		}
		_ = v
	}
	if texts != 1500 || bins != 1500 {
		t.Fatalf("%d text and %d binary files", texts, bins)
	}
	// Mutation round 1 changes exactly 1 % of the files, sizes unchanged.
	m := c
	m.mutate = 1
	st, err = run(m)
	if err != nil || st.files != 30 {
		t.Fatalf("mutate: %+v %v", st, err)
	}
	after := snapshot(t, c.out)
	changed := 0
	for k, v := range a {
		if after[k] != v {
			changed++
			var s1, s2 int64
			fmt.Sscanf(v, "f %d", &s1)
			fmt.Sscanf(after[k], "f %d", &s2)
			if s1 != s2 {
				t.Fatalf("%s changed size %d -> %d", k, s1, s2)
			}
		}
	}
	if changed != 30 {
		t.Fatalf("mutation changed %d files, want 30", changed)
	}
	if _, err := run(config{out: filepath.Join(t.TempDir(), "none"), files: 10, bytes: 100, mutate: 1}); err == nil {
		t.Fatal("mutate without a tree succeeded")
	}
}
