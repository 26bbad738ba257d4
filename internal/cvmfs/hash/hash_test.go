package hash

import "testing"

func TestPathMD5Vectors(t *testing.T) {
	a, b := PathMD5("")
	if a != 338333539836370388 || b != 9098107892288553193 {
		t.Fatalf("root: got %d %d", a, b)
	}
	a, b = PathMD5("/lib/lhcb/ALIGNMENT/ALIGNMENT_v9r2/Phys/CommonParticles/tests/qmtest/commonparticles.qms/.svn/tmp/prop-base")
	if a != 4069996547627848455 || b != -3471940481646685085 {
		t.Fatalf("vector: got %d %d", a, b)
	}
}

func TestParseRoundTrip(t *testing.T) {
	for _, s := range []string{
		"e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78",
		"e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78-rmd160",
		"e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78-shake128",
		"d41d8cd98f00b204e9800998ecf8427e",
	} {
		h, err := Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		if h.String() != s {
			t.Fatalf("%s -> %s", s, h.String())
		}
	}
	for _, bad := range []string{"", "xyz", "e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b7g", "e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78xrmd160"} {
		if _, err := Parse(bad); err == nil {
			t.Fatalf("Parse(%q) accepted", bad)
		}
	}
}

func TestObjectPath(t *testing.T) {
	h := MustParse("044206fcff4545283aaa452b80edfd5d8c740b20")
	if got := h.ObjectPath(SuffixCatalog); got != "data/04/4206fcff4545283aaa452b80edfd5d8c740b20C" {
		t.Fatal(got)
	}
}

func TestFingerprint(t *testing.T) {
	h := MustParse("ea7415e5f5a4347d79373788336a1e0dd0a41825")
	fp := h.Fingerprint()
	if fp != "EA:74:15:E5:F5:A4:34:7D:79:37:37:88:33:6A:1E:0D:D0:A4:18:25" {
		t.Fatal(fp)
	}
	back, err := ParseFingerprint(fp + " # comment")
	if err != nil || !back.Equal(h) {
		t.Fatal(back, err)
	}
}

func TestShakeLength(t *testing.T) {
	if h := Sum(SHAKE128, []byte("x")); len(h.Digest) != 20 {
		t.Fatal(len(h.Digest))
	}
}

func FuzzParse(f *testing.F) {
	f.Add("e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78")
	f.Add("e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78-rmd160")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := Parse(s)
		if err == nil {
			if _, err := Parse(h.String()); err != nil {
				t.Fatalf("re-parse of %q failed: %v", h.String(), err)
			}
		}
	})
}
