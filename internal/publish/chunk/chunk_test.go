package chunk

import (
	"bytes"
	"crypto/sha1"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

func split(t testing.TB, r io.Reader, p Params) ([]Chunk, []byte) {
	t.Helper()
	var cs []Chunk
	var all []byte
	err := Split(r, p, func(c Chunk, b []byte) error {
		if int64(len(b)) != c.Size {
			t.Fatalf("chunk %d: %d bytes for size %d", c.Index, len(b), c.Size)
		}
		cs = append(cs, c)
		all = append(all, b...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cs, all
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestThresholdMatchesSpec(t *testing.T) {
	if th := DefaultParams().threshold(); th != 511 {
		t.Fatalf("threshold for 8 MiB average = %d, spec says 511", th)
	}
}

// TestHandVector: with Min=64, Avg=128, Max=256 the threshold is
// 0xFFFFFFFF/128 = 33554431. Zeros keep x at 0; a zero at 100 followed by
// 31 bytes 0x01 (101..131) gives x = 0x7FFFFFFF exactly after byte 131 is
// fed, so the first cut is before byte 131. The all-zero rest never comes
// near the magic value, so it is cut hard every 256 bytes; the tail is short.
func TestHandVector(t *testing.T) {
	p := Params{Min: 64, Avg: 128, Max: 256}
	data := make([]byte, 131+256+256+10)
	for i := 101; i <= 131; i++ {
		data[i] = 1
	}
	cs, _ := split(t, bytes.NewReader(data), p)
	want := []Chunk{{0, 0, 131, false}, {1, 131, 256, false}, {2, 387, 256, false}, {3, 643, 10, true}}
	if len(cs) != len(want) {
		t.Fatalf("got %v, want %v", cs, want)
	}
	for i := range want {
		if cs[i] != want[i] {
			t.Fatalf("chunk %d = %+v, want %+v", i, cs[i], want[i])
		}
	}
}

func checkInvariants(t *testing.T, p Params, data []byte, cs []Chunk, got []byte) {
	t.Helper()
	if !bytes.Equal(got, data) {
		t.Fatal("chunks do not reassemble the input")
	}
	var off int64
	for i, c := range cs {
		if c.Index != i || c.Offset != off {
			t.Fatalf("chunk %d: index %d offset %d, want offset %d", i, c.Index, c.Offset, off)
		}
		if c.Size > int64(p.Max) {
			t.Fatalf("chunk %d: size %d > max %d", i, c.Size, p.Max)
		}
		if !c.Last && c.Size < int64(p.Min) {
			t.Fatalf("chunk %d: non-final size %d < min %d", i, c.Size, p.Min)
		}
		if c.Last != (i == len(cs)-1) {
			t.Fatalf("chunk %d: Last=%v among %d chunks", i, c.Last, len(cs))
		}
		off += c.Size
	}
}

func TestBoundsAndDeterminism(t *testing.T) {
	p := Params{Min: 1 << 10, Avg: 4 << 10, Max: 8 << 10}
	for seed := uint64(0); seed < 8; seed++ {
		data := randBytes(seed, 200<<10+int(seed)*777)
		cs1, got := split(t, bytes.NewReader(data), p)
		checkInvariants(t, p, data, cs1, got)
		// Same result when the reader returns one byte at a time.
		cs2, _ := split(t, iotest.OneByteReader(bytes.NewReader(data)), p)
		if len(cs1) != len(cs2) {
			t.Fatalf("seed %d: %d vs %d chunks with a one-byte reader", seed, len(cs1), len(cs2))
		}
		for i := range cs1 {
			if cs1[i] != cs2[i] {
				t.Fatalf("seed %d chunk %d differs: %+v vs %+v", seed, i, cs1[i], cs2[i])
			}
		}
		if len(cs1) < 200/8 {
			t.Fatalf("seed %d: only %d chunks for 200 KiB with max 8 KiB", seed, len(cs1))
		}
	}
}

// TestContentDefined: inserting bytes near the start only changes the
// chunks up to the first cut after the insertion.
func TestContentDefined(t *testing.T) {
	p := Params{Min: 1 << 10, Avg: 4 << 10, Max: 16 << 10}
	data := randBytes(42, 256<<10)
	cs1, _ := split(t, bytes.NewReader(data), p)
	edited := append([]byte("inserted!"), data...)
	cs2, _ := split(t, bytes.NewReader(edited), p)
	ends := map[int64]bool{}
	for _, c := range cs1 {
		ends[c.Offset+c.Size+9] = true
	}
	shared := 0
	for _, c := range cs2 {
		if ends[c.Offset+c.Size] {
			shared++
		}
	}
	if shared < len(cs1)-2 {
		t.Fatalf("only %d of %d cut points survived a 9-byte insertion", shared, len(cs1))
	}
}

func TestSmallInputs(t *testing.T) {
	p := DefaultParams()
	for _, n := range []int{0, 1, 100} {
		cs, _ := split(t, bytes.NewReader(make([]byte, n)), p)
		if len(cs) != 1 || !cs[0].Sole() || cs[0].Size != int64(n) {
			t.Fatalf("%d bytes: %+v, want one sole chunk", n, cs)
		}
	}
	if p.Candidate(DefaultMin) || !p.Candidate(DefaultMin+1) {
		t.Fatal("Candidate must be size > min")
	}
}

func TestErrors(t *testing.T) {
	for _, p := range []Params{{10, 20, 30}, {64, 64, 128}, {64, 128, 128}} {
		if err := Split(bytes.NewReader(nil), p, nil); !errors.Is(err, ErrParams) {
			t.Fatalf("%+v: err %v, want ErrParams", p, err)
		}
	}
	boom := errors.New("boom")
	err := Split(iotest.ErrReader(boom), DefaultParams(), func(Chunk, []byte) error { return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("reader error not returned: %v", err)
	}
	stop := errors.New("stop")
	err = Split(bytes.NewReader(make([]byte, 10)), DefaultParams(), func(Chunk, []byte) error { return stop })
	if err != stop {
		t.Fatalf("callback error not returned: %v", err)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add([]byte{}, uint16(32), uint16(40), uint16(50))
	f.Add(randBytes(1, 4096), uint16(64), uint16(128), uint16(256))
	f.Add(bytes.Repeat([]byte{1}, 3000), uint16(33), uint16(100), uint16(101))
	f.Fuzz(func(t *testing.T, data []byte, mn, avg, mx uint16) {
		p := Params{Min: int(mn), Avg: int(avg), Max: int(mx)}
		if p.Validate() != nil {
			return
		}
		cs, got := split(t, bytes.NewReader(data), p)
		checkInvariants(t, p, data, cs, got)
	})
}

func BenchmarkSplit(b *testing.B) {
	data := randBytes(7, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if err := Split(bytes.NewReader(data), DefaultParams(), func(Chunk, []byte) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSHA1Baseline hashes the same data with SHA-1 (work every
// published byte needs anyway): the baseline for BenchmarkSplit.
func BenchmarkSHA1Baseline(b *testing.B) {
	data := randBytes(7, 64<<20)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sha1.Sum(data)
	}
}

// TestSplitFixed: pieces of exactly the size, the last one shorter or
// full, an empty input one empty sole piece; the bytes are the input's.
func TestSplitFixed(t *testing.T) {
	for _, n := range []int{0, 1, 99, 100, 101, 250, 300} {
		in := make([]byte, n)
		for i := range in {
			in[i] = byte(i * 7)
		}
		var got []byte
		var sizes []int64
		err := SplitFixed(bytes.NewReader(in), 100, func(c Chunk, data []byte) error {
			if c.Offset != int64(len(got)) || c.Size != int64(len(data)) || c.Index != len(sizes) {
				t.Fatalf("n=%d: chunk %+v after %d bytes", n, c, len(got))
			}
			got = append(got, data...)
			sizes = append(sizes, c.Size)
			if c.Last != (len(got) == n) {
				t.Fatalf("n=%d: Last=%v at %d bytes", n, c.Last, len(got))
			}
			return nil
		})
		if err != nil || !bytes.Equal(got, in) {
			t.Fatalf("n=%d: %v, %d bytes back", n, err, len(got))
		}
		if want := max(1, (n+99)/100); len(sizes) != want {
			t.Fatalf("n=%d: %d pieces %v, want %d", n, len(sizes), sizes, want)
		}
	}
	if err := SplitFixed(bytes.NewReader(nil), 0, nil); !errors.Is(err, ErrParams) {
		t.Fatalf("size 0: %v", err)
	}
}
