package spec

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultParses(t *testing.T) {
	s := Default()
	if s.StrongVersion() != "2026.11-1.ucvm.x86_64" {
		t.Fatalf("strong version %q", s.StrongVersion())
	}
	if len(s.Formats) != len(Formats) || s.Branches[0].FQRN != "cernvm-prod.cern.ch" || !s.Busybox {
		t.Fatalf("default spec: %+v", s)
	}
}

func TestBadInput(t *testing.T) {
	base := string(DefaultYAML())
	cases := map[string]struct{ from, to, want string }{
		"unknown key":    {"busybox: true", "busybox: true\nbusybx: false", `unknown key "busybx"`},
		"bad version":    {`version: "2026.11"`, `version: "26.13"`, "version \"26.13\""},
		"bad format":     {"formats: [iso,", "formats: [floppy, iso,", `format "floppy" is not supported`},
		"dup format":     {"formats: [iso,", "formats: [iso, iso,", "listed twice"},
		"bad fqrn":       {"fqrn: cernvm-prod.cern.ch", "fqrn: nodots", "is not a repository name"},
		"bad source":     {"source: debian", "source: rpm", "kernel.source \"rpm\""},
		"tree no files":  {"source: debian", "source: tree", "needs vmlinuz and modules_dir"},
		"bad compress":   {"\ncompression: xz", "\ncompression: gzip", "want xz, zstd, lz4, none or zstd-fast"},
		"bad type":       {"release: 1", "release: one", "cannot unmarshal"},
		"server list":    {"- grid-cvmfs-one.desy.de", "- grid-cvmfs-one.desy.de,other.host", "one per list item"},
		"path traversal": {"os_path: cvm4", "os_path: ../etc", "os_path"},
	}
	for name, c := range cases {
		if !strings.Contains(base, c.from) {
			t.Fatalf("%s: default lacks %q", name, c.from)
		}
		_, err := Parse([]byte(strings.Replace(base, c.from, c.to, 1)), "/")
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", name, err, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(DefaultYAML())
	f.Add([]byte("version: 2026.01\nbranches: [{name: x}]\n"))
	f.Add([]byte("{{{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "/")
		if err == nil && s.Validate() != nil {
			t.Fatal("Parse accepted an invalid spec")
		}
	})
}
