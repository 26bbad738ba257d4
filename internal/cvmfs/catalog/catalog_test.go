package catalog

import (
	"os"
	"path/filepath"
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

// FuzzCatalogFile opens arbitrary bytes as a catalog: errors, never panics.
func FuzzCatalogFile(f *testing.F) {
	f.Add([]byte("SQLite format 3\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "c.db")
		os.WriteFile(p, data, 0o600)
		c, err := Open(p)
		if err != nil {
			return
		}
		defer c.Close()
		if e, err := c.Lookup(""); err == nil {
			c.List(e.Path)
			c.Chunks(e)
			c.Xattrs(e)
		}
		c.Nested()
	})
}
