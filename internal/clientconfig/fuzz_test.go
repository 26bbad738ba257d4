package clientconfig

import (
	"os"
	"strings"
	"testing"
)

func TestNothingIsExecuted(t *testing.T) {
	mark := t.TempDir()
	src := strings.ReplaceAll(`touch MARK/a
CVMFS_X=$(touch MARK/b)
CVMFS_Y=`+"`touch MARK/c`"+`
if touch MARK/d; then CVMFS_TIMEOUT=1; fi
[ "$(touch MARK/e)" = "" ] && CVMFS_TIMEOUT=2
f() { touch MARK/f; }; f
eval "touch MARK/g"
CVMFS_TIMEOUT=3 touch MARK/h
`, "MARK", mark)
	dir := writeTree(t, map[string]string{"config.d/a.b.conf": src})
	c, err := Load("a.b", Options{ConfigDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(mark); len(ents) != 0 {
		t.Fatalf("configuration code was executed: %v", ents)
	}
	if c.Timeout() != 5_000_000_000 {
		t.Fatalf("guarded assignment evaluated: %v", c.Timeout())
	}
	if len(c.Warnings) < 8 {
		t.Fatalf("want a warning per construct, got %v", c.Warnings)
	}
}

func TestIDMap(t *testing.T) {
	m, err := ParseIDMap("m", []byte("# map\n0 1000\n  500 501 # x\n* 65534\n"))
	if err != nil || m.Map(0) != 1000 || m.Map(500) != 501 || m.Map(7) != 65534 {
		t.Fatalf("%+v %v", m, err)
	}
	if _, err := ParseIDMap("m", []byte("1 2 3\n")); err == nil || !strings.Contains(err.Error(), "m:1") {
		t.Fatalf("%v", err)
	}
	var none *IDMap
	if none.Map(5) != 5 {
		t.Fatal("nil map must be identity")
	}
}

func FuzzEvalFile(f *testing.F) {
	for _, v := range etcFiles {
		f.Add(v)
	}
	for _, s := range []string{"A=1\nB=$A${A}${A:-x}${C:=y}${D+z}\n", "export X='a b' Y=\"$X\\\"\"", "[[ a == a* && -n x ]] && Z=1",
		"if false; then A=1; elif [ 1 -lt 2 ]; then A=2; else A=3; fi", "readonly R=1; R=2", "A+=x", "a[1]=2", "${#A}", "case x in x) A=1;; esac"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c := newConfig("a.b")
		if err := c.evalFile("/f.conf", []byte(src), nil); err != nil {
			return
		}
		for _, w := range c.Warnings {
			if w.Origin.File != "/f.conf" || w.Origin.Line < 1 {
				t.Fatalf("warning without file:line: %+v", w)
			}
		}
		for _, p := range c.params {
			if p.Origin.Kind == KindFile && p.Origin.Line < 1 {
				t.Fatalf("value without line: %+v", p)
			}
		}
	})
}

func FuzzParseIDMap(f *testing.F) {
	f.Add("0 1000\n* 65534\n# c\n")
	f.Add("x y z")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseIDMap("m", []byte(s))
		if err == nil && m == nil {
			t.Fatal("nil map without error")
		}
	})
}
