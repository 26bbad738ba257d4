package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoSQLEngine keeps the bootloader small: catalogs and history databases
// are read with internal/sqlite, so neither modernc.org/sqlite (~1.6 MB
// compressed) nor database/sql may be linked into /init.
func TestNoSQLEngine(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 20 || !contains(deps, "github.com/ucvm/ucvm/internal/cvmfs/catalog") {
		t.Fatalf("go list -deps gave an implausible list (%d packages)", len(deps))
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "modernc.org/") || d == "database/sql" {
			t.Errorf("ucvm-init links %s; read SQLite files with internal/sqlite, write them in a package /init does not import", d)
		}
	}
}

// TestNoJavaScriptEngine: PAC files are evaluated by cmd/ucvm-pac, which
// an lz4 initrd keeps compressed (boot.PACHelperXZ); otto in /init was 3.4
// MB that every boot unpacked. With -tags pacjs (xz and zstd initrds,
// bootbin.PACInInit) /init links it.
func TestNoJavaScriptEngine(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if !contains(deps, "github.com/ucvm/ucvm/internal/clientconfig/pac") {
		t.Fatal("ucvm-init no longer resolves PAC files")
	}
	for _, d := range deps {
		if strings.HasPrefix(d, "github.com/robertkrimen/otto") || strings.HasSuffix(d, "/clientconfig/pac/js") {
			t.Errorf("ucvm-init links %s; PAC files go to cmd/ucvm-pac (boot.InstallPACHelper)", d)
		}
	}
	// built for an initrd compressed to be small, it links the engine
	out, err = exec.Command("go", "list", "-deps", "-tags", "pacjs", ".").Output()
	if err != nil || !contains(strings.Fields(string(out)), "github.com/ucvm/ucvm/internal/clientconfig/pac/js") {
		t.Fatalf("-tags pacjs does not link the PAC engine: %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
