package publish

import "testing"

func TestDirtabMatching(t *testing.T) {
	d, err := parseDirtab("# comment\n/software/*\n/data/?/x\n! */common\n!*.git\n")
	if err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{
		"/software/v1":       true,
		"/software/v1/sub":   false,
		"/software/common":   false,
		"/software/repo.git": false,
		"/data/a/x":          true,
		"/data/ab/x":         false,
		"/other":             false,
	} {
		if got := d.matches(p); got != want {
			t.Errorf("%s: got %v want %v", p, got, want)
		}
	}
	if _, err := parseDirtab("relative/*\n"); err == nil {
		t.Fatal("relative positive rule accepted")
	}
}

func FuzzDirtab(f *testing.F) {
	f.Add("/software/*\n! */common\n", "/software/x")
	f.Fuzz(func(t *testing.T, text, p string) {
		if d, err := parseDirtab(text); err == nil {
			d.matches(p)
		}
	})
}
