package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReport: blocks are named by kernel symbol (with their module) and
// summed per phase; the OS phase starts with the first window of
// dynamically linked code; a baseline gives differences.
func TestReport(t *testing.T) {
	dir := t.TempDir()
	ks := filepath.Join(dir, "kallsyms")
	os.WriteFile(ks, []byte("ffffffff81000000 T _stext\nffffffff81001000 T clear_page_erms\nffffffffc0000000 t ext4_lookup\t[ext4]\nffffffffc0001000 d data\t[ext4]\n"), 0o644)
	prof := func(name, body string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		return p
	}
	a := prof("a", "W 0\nffffffff81001010 3000000\nffffffffc0000010 1000\nW 100\n7f0000001000 2000000\nffffffff81001010 500\n")
	b := prof("b", "W 0\nffffffff81001010 1000000\nW 100\n7f0000001000 2000000\n")
	syms, err := loadSymbols(ks, "")
	if err != nil {
		t.Fatal(err)
	}
	pa, err := readProfile(a, syms)
	if err != nil {
		t.Fatal(err)
	}
	if pa.pre["clear_page_erms"] != 3000000 || pa.pre["ext4_lookup [ext4]"] != 1000 || pa.os["[user, dynamic]"] != 2000000 || pa.os["clear_page_erms"] != 500 {
		t.Fatalf("profile %+v", pa)
	}
	pb, err := readProfile(b, syms)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	report(&out, []phases{pa, pb}, 5, 4e-9)
	for _, want := range []string{"+0.01 s", "+2.0M", "[ext4]", "clear_page_erms"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if _, err := readProfile(prof("bad", "W 0\nzz 1\n"), syms); err == nil {
		t.Error("a bad line was accepted")
	}
}
