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

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
