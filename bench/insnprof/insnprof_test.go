package main

import (
	"bytes"
	"debug/elf"
	"fmt"
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

// TestUserMaps: with one process's maps, user-space blocks are named by
// the mapped file's dynamic symbols, and they still start the OS phase.
func TestUserMaps(t *testing.T) {
	lib := "/lib/x86_64-linux-gnu/libc.so.6"
	f, err := elf.Open(lib)
	if err != nil {
		t.Skipf("no %s here: %v", lib, err)
	}
	var text *elf.Prog
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 {
			text = p
		}
	}
	es, _ := f.DynamicSymbols()
	f.Close()
	var target elf.Symbol
	for _, e := range es {
		if e.Name == "malloc" && elf.ST_TYPE(e.Info) == elf.STT_FUNC {
			target = e
		}
	}
	if text == nil || target.Value == 0 {
		t.Fatalf("%s without a text segment or malloc", lib)
	}
	// Map the text segment at 0x7f0000000000 as a process would.
	const base = 0x7f0000000000
	dir := t.TempDir()
	maps := filepath.Join(dir, "maps")
	line := fmt.Sprintf("%x-%x r-xp %08x 00:00 0 %s\n", uint64(base), uint64(base)+text.Memsz, text.Off, lib)
	os.WriteFile(maps, []byte("7e0000000000-7e0000001000 rw-p 00000000 00:00 0 \n"+line), 0o644)
	syms, err := loadSymbols("", "")
	if err != nil {
		t.Fatal(err)
	}
	if syms.user, err = loadUserMap(maps, "/"); err != nil {
		t.Fatal(err)
	}
	addr := base + (target.Value - text.Vaddr) + 1
	want := syms.name(addr) // malloc or an alias at its address
	name, _, _ := strings.Cut(want, " [")
	alias := false
	for _, e := range es {
		alias = alias || (e.Name == name && e.Value == target.Value)
	}
	if !alias || !strings.HasSuffix(want, " [libc.so.6]") {
		t.Fatalf("name(%x) = %q, want malloc or an alias [libc.so.6]", addr, want)
	}
	p := filepath.Join(dir, "prof")
	os.WriteFile(p, []byte(fmt.Sprintf("W 0\nffffffff81001010 10\nW 100\n%x 2000000\n", addr)), 0o644)
	ph, err := readProfile(p, syms)
	if err != nil {
		t.Fatal(err)
	}
	if ph.os[want] != 2000000 {
		t.Fatalf("OS phase %+v, want %s in it", ph.os, want)
	}
}
