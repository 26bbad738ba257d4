package fusefs

import "testing"

func TestExpandVariant(t *testing.T) {
	env := func(k string) (string, bool) {
		m := map[string]string{"A": "x", "E": ""}
		v, ok := m[k]
		return v, ok
	}
	for in, want := range map[string]string{
		"plain":                               "plain",
		"$(A)/bin":                            "x/bin",
		"$(B)/bin":                            "/bin",
		"arch/$(B:-x86_64)/lib":               "arch/x86_64/lib",
		"$(A:-d)$(E:-e)":                      "xe",
		"$(unterminated":                      "$(unterminated",
		"$(CVMFS_TEST_VAR)/bin":               "/bin",
		"arch/$(CVMFS_TEST_ARCH:-x86_64)/lib": "arch/x86_64/lib",
	} {
		if got := ExpandVariant(in, env); got != want {
			t.Errorf("ExpandVariant(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzExpandVariant(f *testing.F) {
	f.Add("$(A:-b)/$(C)")
	f.Add("$($($(")
	f.Fuzz(func(t *testing.T, s string) {
		none := func(string) (string, bool) { return "", false }
		out := ExpandVariant(s, none)
		if len(out) > len(s) {
			t.Fatalf("expansion with no variables grew %q -> %q", s, out)
		}
	})
}

func TestParseIDMap(t *testing.T) {
	m, err := ParseIDMap("# comment\n0 1000\n* 65534\n")
	if err != nil {
		t.Fatal(err)
	}
	if m.Map(0) != 1000 || m.Map(5) != 65534 {
		t.Fatalf("%+v", m)
	}
	if _, err := ParseIDMap("1 2 3\n"); err == nil {
		t.Fatal("accepted a bad line")
	}
}

func FuzzParseIDMap(f *testing.F) {
	f.Add("0 1000\n* 1\n")
	f.Add("x y")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseIDMap(s)
		if err == nil {
			_ = m.Map(0)
		}
	})
}
