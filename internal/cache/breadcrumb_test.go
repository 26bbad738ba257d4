package cache

import (
	"errors"
	"testing"
)

func TestBreadcrumbRoundTripAndNoRollback(t *testing.T) {
	c, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ReadBreadcrumb("x.y"); !errors.Is(err, ErrNoBreadcrumb) {
		t.Fatal(err)
	}
	b, err := ParseBreadcrumb("044206fcff4545283aaa452b80edfd5d8c740b20T1433937750R8722")
	if err != nil {
		t.Fatal(err)
	}
	if b.Timestamp != 1433937750 || b.Revision != 8722 {
		t.Fatalf("%+v", b)
	}
	if err := c.WriteBreadcrumb("x.y", b); err != nil {
		t.Fatal(err)
	}
	old := b
	old.Revision = 5
	c.WriteBreadcrumb("x.y", old)
	got, err := c.ReadBreadcrumb("x.y")
	if err != nil || got.String() != b.String() {
		t.Fatalf("got %v %v", got, err)
	}
	if o, err := ParseBreadcrumb("044206fcff4545283aaa452b80edfd5d8c740b20T1433937750"); err != nil || o.Revision != 0 {
		t.Fatalf("old format: %+v %v", o, err)
	}
}

func FuzzParseBreadcrumb(f *testing.F) {
	f.Add("044206fcff4545283aaa452b80edfd5d8c740b20T1433937750R8722")
	f.Add("044206fcff4545283aaa452b80edfd5d8c740b20-rmd160T1R")
	f.Add("T")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBreadcrumb(s)
		if err != nil {
			return
		}
		b2, err := ParseBreadcrumb(b.String())
		if err != nil || b2.String() != b.String() {
			t.Fatalf("round trip %q -> %q: %v", s, b.String(), err)
		}
	})
}

func FuzzParseIndex(f *testing.F) {
	f.Add([]byte(indexHeader + "\nabcdef\t10\t0\t\"x\"\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		es, err := parseIndex(data)
		if err != nil {
			return
		}
		for _, e := range es {
			if e.size < 0 || len(e.key) < 3 {
				t.Fatalf("accepted bad entry %+v", e)
			}
		}
	})
}
