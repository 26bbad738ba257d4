package catalog

import (
	"testing"
)

func TestMakedevRoundTrip(t *testing.T) {
	for _, d := range [][2]uint32{{1, 3}, {7, 0}, {259, 65536}, {4095, 255}} {
		e := Entry{Size: int64(Makedev(d[0], d[1]))}
		if ma, mi := e.Rdev(); ma != d[0] || mi != d[1] {
			t.Fatalf("%v -> %d,%d", d, ma, mi)
		}
	}
}

func FuzzXattrs(f *testing.F) {
	b, _ := EncodeXattrs(map[string][]byte{"user.k": []byte("v")})
	f.Add(b)
	f.Add([]byte{1, 3, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeXattrs(data)
		if err != nil {
			return
		}
		if len(m) == 0 {
			return
		}
		enc, err := EncodeXattrs(m)
		if err != nil {
			return // e.g. empty key from a crafted blob
		}
		back, err := DecodeXattrs(enc)
		if err != nil || len(back) != len(m) {
			t.Fatalf("round trip of %q failed: %v", m, err)
		}
	})
}
