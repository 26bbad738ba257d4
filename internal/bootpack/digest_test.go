package bootpack

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"testing"
)

func TestDigests(t *testing.T) {
	a, b := PieceDigest([]byte("piece a")), PieceDigest([]byte("piece b"))
	if len(a) != DigestSize || bytes.Equal(a, b) {
		t.Fatalf("digests %x %x", a, b)
	}
	if d, err := Digests(map[string][]byte{"user.other": {1}}); d != nil || err != nil {
		t.Fatalf("no digests: %v %v", d, err)
	}
	x := map[string][]byte{DigestXattr(1): b, DigestXattr(0): a, "user.other": {1}}
	d, err := Digests(x)
	if err != nil || !bytes.Equal(d[0], a) || !bytes.Equal(d[1], b) {
		t.Fatalf("digests in order: %x %v", d, err)
	}
	// how many pieces the pack has is StreamChecked's check (ErrPieceCount)
	if d, err := Digests(map[string][]byte{DigestXattr(0): a}); err != nil || len(d) != 1 {
		t.Fatalf("one digest: %x %v", d, err)
	}
	for name, bad := range map[string]map[string][]byte{
		"size":   {DigestXattr(0): a, DigestXattr(1): b[:31]},
		"gap":    {DigestXattr(0): a, DigestXattr(2): b},
		"prefix": {DigestXattr(0): a, DigestXattrPrefix + "x": b},
	} {
		if _, err := Digests(bad); !errors.Is(err, ErrDigests) {
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

// BenchmarkPieceVerify compares the check of one 2 MiB pack piece by its
// BLAKE3 digest with the SHA-1 of its object name (the baseline, in the
// same run): docs/benchmarks.md, stop 17. Natively the host's SHA-NI makes
// SHA-1 cheap; under QEMU's TCG (no SHA-NI) BLAKE3 is 4.5 times cheaper.
func BenchmarkPieceVerify(b *testing.B) {
	piece := make([]byte, PieceSize)
	for i := range piece {
		piece[i] = byte(i * 7)
	}
	b.Run("sha1", func(b *testing.B) {
		b.SetBytes(PieceSize)
		for b.Loop() {
			_ = sha1.Sum(piece)
		}
	})
	check := CheckPieces([][]byte{PieceDigest(piece)})
	b.Run("blake3", func(b *testing.B) {
		b.SetBytes(PieceSize)
		for b.Loop() {
			if err := check(0, piece); err != nil {
				b.Fatal(err)
			}
		}
	})
}
