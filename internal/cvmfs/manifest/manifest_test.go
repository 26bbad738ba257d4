package manifest

import (
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

func TestSignParseVerify(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	m := &Manifest{RootCatalog: hash.Sum(hash.SHA1, []byte("c")), RootCatalogSize: 4096, TTL: 240, Revision: 7,
		Name: "a.b.c", Certificate: hash.Sum(hash.SHA1, []byte("x")), Timestamp: 1700000000}
	raw, err := m.Sign(key)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p.Revision != 7 || p.Name != "a.b.c" || !p.RootCatalog.Equal(m.RootCatalog) || p.Timestamp != 1700000000 {
		t.Fatalf("%+v", p)
	}
	if err := p.Verify(&key.PublicKey, "a.b.c"); err != nil {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	if err := p.Verify(&other.PublicKey, "a.b.c"); err == nil {
		t.Fatal("foreign key accepted")
	}
	raw[len(raw)-1] ^= 1
	p2, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Verify(&key.PublicKey, "a.b.c") == nil {
		t.Fatal("tampered signature accepted")
	}
	if _, err := Parse(raw[:20]); err == nil {
		t.Fatal("truncated manifest accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("C044206fcff4545283aaa452b80edfd5d8c740b20\nRd41d8cd98f00b204e9800998ecf8427e\nD900\nS8722\n--\nx\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err == nil && m.RootCatalog.IsZero() {
			t.Fatal("accepted manifest without root catalog")
		}
	})
}
