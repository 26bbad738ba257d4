package whitelist

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"testing"
	"time"
)

func TestCreateVerify(t *testing.T) {
	master, _ := rsa.GenerateKey(rand.Reader, 2048)
	der := []byte("not really DER but any bytes hash the same way")
	now := time.Now()
	raw, err := Create("a.b.c", [][]byte{der}, now, 30*24*time.Hour, master)
	if err != nil {
		t.Fatal(err)
	}
	w, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	pubs := []*rsa.PublicKey{&master.PublicKey}
	if err := w.Verify(pubs, "a.b.c", now, der); err != nil {
		t.Fatal(err)
	}
	if err := w.Verify(pubs, "x.y.z", now, der); !errors.Is(err, ErrWrongName) {
		t.Fatal(err)
	}
	if err := w.Verify(pubs, "a.b.c", now.Add(31*24*time.Hour), der); !errors.Is(err, ErrExpired) {
		t.Fatal(err)
	}
	if err := w.Verify(pubs, "a.b.c", now, []byte("other cert")); !errors.Is(err, ErrNotWhitelisted) {
		t.Fatal(err)
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	if err := w.Verify([]*rsa.PublicKey{&other.PublicKey}, "a.b.c", now, der); !errors.Is(err, ErrBadSignature) {
		t.Fatal(err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("20150603095527\nE20150704095527\nNatlas.cern.ch\nEA:74 # x\n--\n65a35687479260c90d38e4e114dbc345fde90bbb\nsig"))
	f.Fuzz(func(t *testing.T, b []byte) { Parse(b) })
}
