package bootpack

import (
	"bytes"
	"errors"
	"testing"
)

func TestDigests(t *testing.T) {
	a, b := PieceDigest([]byte("piece a")), PieceDigest([]byte("piece b"))
	if len(a) != DigestSize || bytes.Equal(a, b) {
		t.Fatalf("digests %x %x", a, b)
	}
	if d, err := Digests(map[string][]byte{"user.other": {1}}, 3); d != nil || err != nil {
		t.Fatalf("no digests: %v %v", d, err)
	}
	x := map[string][]byte{DigestXattr(1): b, DigestXattr(0): a, "user.other": {1}}
	d, err := Digests(x, 2)
	if err != nil || !bytes.Equal(d[0], a) || !bytes.Equal(d[1], b) {
		t.Fatalf("digests in order: %x %v", d, err)
	}
	for name, bad := range map[string]map[string][]byte{
		"count":  {DigestXattr(0): a},
		"size":   {DigestXattr(0): a, DigestXattr(1): b[:31]},
		"gap":    {DigestXattr(0): a, DigestXattr(2): b},
		"prefix": {DigestXattr(0): a, DigestXattrPrefix + "x": b},
	} {
		if _, err := Digests(bad, 2); !errors.Is(err, ErrDigests) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestCheckPieces(t *testing.T) {
	check := CheckPieces([][]byte{PieceDigest([]byte("one")), PieceDigest([]byte("two"))})
	if err := check(0, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := check(1, []byte("two")); err != nil {
		t.Fatal(err)
	}
	if err := check(1, []byte("twO")); err == nil {
		t.Fatal("a changed piece passed")
	}
	if err := check(0, []byte("two")); err == nil {
		t.Fatal("a piece in the wrong place passed")
	}
	if err := check(2, []byte("two")); !errors.Is(err, ErrDigests) {
		t.Fatalf("piece without digest: %v", err)
	}
}
