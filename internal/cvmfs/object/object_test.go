package object

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

func TestEmptyObject(t *testing.T) {
	c, err := CompressExact(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c, []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}) {
		t.Fatalf("% x", c)
	}
	if h := hash.Sum(hash.SHA1, c).String(); h != "e8ec3d88b62ebf526e4e5a4ff6162a3aa48a6b78" {
		t.Fatal(h)
	}
}

func TestVerify(t *testing.T) {
	data := bytes.Repeat([]byte("hello cvmfs "), 1000)
	c := Compress(data)
	h := hash.Sum(hash.SHA1, c)
	var out bytes.Buffer
	if _, err := Verify(&out, bytes.NewReader(c), h, true, int64(len(data))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Fatal("content differs")
	}
	bad := append([]byte(nil), c...)
	bad[len(bad)/2] ^= 1
	if _, err := Verify(&bytes.Buffer{}, bytes.NewReader(bad), h, true, -1); !errors.Is(err, ErrBadData) {
		t.Fatal("tampered object accepted:", err)
	}
	if _, err := Verify(&bytes.Buffer{}, bytes.NewReader(c), h, true, 5); !errors.Is(err, ErrBadData) {
		t.Fatal("wrong size accepted:", err)
	}
}

func FuzzInflate(f *testing.F) {
	f.Add(Compress([]byte("abc")))
	f.Add([]byte{0x78, 0x9c})
	f.Fuzz(func(t *testing.T, b []byte) {
		Inflate(b, 1<<20)
	})
}

// TestVerifyBuffered: the stored bytes are read through a buffer larger
// than small objects, so bytes after the zlib stream are read ahead of
// the inflater; each must still be hashed exactly once, in a big object
// and in one followed by trailing bytes, read in small pieces.
func TestVerifyBuffered(t *testing.T) {
	big := make([]byte, 3<<20)
	for i := range big {
		big[i] = byte(i * 7 / 13)
	}
	for _, tc := range []struct {
		name     string
		data     []byte
		trailing []byte
	}{{"big", big, nil}, {"trailing", []byte("small object"), []byte("junk after the stream")}, {"big+trailing", big, bytes.Repeat([]byte{1}, 100<<10)}} {
		stored := append(Compress(tc.data), tc.trailing...)
		h := hash.Sum(hash.SHA1, stored)
		var out bytes.Buffer
		if _, err := Verify(&out, iotest.OneByteReader(bytes.NewReader(stored)), h, true, int64(len(tc.data))); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !bytes.Equal(out.Bytes(), tc.data) {
			t.Fatalf("%s: content differs", tc.name)
		}
		if len(tc.trailing) > 0 {
			bad := append([]byte(nil), stored...)
			bad[len(bad)-1] ^= 1
			if _, err := Verify(io.Discard, bytes.NewReader(bad), h, true, -1); !errors.Is(err, ErrBadData) {
				t.Fatalf("%s: changed trailing byte accepted: %v", tc.name, err)
			}
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i * 7 / 13)
	}
	stored := Compress(data)
	h := hash.Sum(hash.SHA1, stored)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Verify(io.Discard, bytes.NewReader(stored), h, true, -1); err != nil {
			b.Fatal(err)
		}
	}
}
