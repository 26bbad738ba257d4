package object

import (
	"bytes"
	"errors"
	"testing"

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
