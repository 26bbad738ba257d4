package chunk

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Default CernVM-FS chunk sizes (CVMFS_MIN/AVG/MAX_CHUNK_SIZE).
const (
	DefaultMin = 4 << 20
	DefaultAvg = 8 << 20
	DefaultMax = 16 << 20
)

const (
	window = 32         // bytes that influence the xor32 state
	magic  = 0x7FFFFFFF // centre of the accepted interval
	// readAhead is how far beyond Max the splitter buffers so that it knows
	// whether a chunk is the last one when it delivers it.
	readAhead = 64 << 10
)

// ErrParams reports chunk sizes the CernVM-FS detector does not accept.
var ErrParams = errors.New("invalid chunk sizes")

// Params are the chunk size limits in bytes.
type Params struct {
	Min, Avg, Max int
}

// DefaultParams returns the CernVM-FS defaults (4, 8, 16 MiB).
func DefaultParams() Params { return Params{Min: DefaultMin, Avg: DefaultAvg, Max: DefaultMax} }

// Validate checks the constraints of the real publisher: Min >= 32 and
// Min < Avg < Max.
func (p Params) Validate() error {
	if p.Min < window || p.Min >= p.Avg || p.Avg >= p.Max {
		return fmt.Errorf("%w: min=%d avg=%d max=%d (need 32 <= min < avg < max)", ErrParams, p.Min, p.Avg, p.Max)
	}
	return nil
}

// Candidate reports whether a file of the given size may be chunked at all
// (size > Min).
func (p Params) Candidate(size int64) bool { return size > int64(p.Min) }

func (p Params) threshold() uint32 { return uint32(0xFFFFFFFF / uint64(p.Avg)) }

// Chunk describes one piece of a file.
type Chunk struct {
	Index  int   // 0-based position in the file
	Offset int64 // offset of the first byte in the uncompressed file
	Size   int64 // length in bytes
	Last   bool  // no bytes follow this chunk
}

// Sole reports whether the chunk is the whole file (a single piece), which
// the publisher stores as an ordinary, unchunked object.
func (c Chunk) Sole() bool { return c.Index == 0 && c.Last }

// Cut returns the length of the first chunk of buf, which must start at a
// chunk boundary. eof says that buf holds all remaining input; without eof,
// Cut returns 0 when buf is too short to decide (fewer than Max+1 bytes).
func (p Params) Cut(buf []byte, eof bool) int {
	n := len(buf)
	limit := min(n, p.Max)
	if th := p.threshold(); n > p.Min && th > 0 {
		var x uint32
		for _, b := range buf[p.Min-window : p.Min] {
			x = x<<1 ^ uint32(b)
		}
		// |x - magic| < th  <=>  x - (magic-th+1) < 2th-1 in uint32 arithmetic.
		lo, span := uint32(magic)-th+1, 2*th-1
		for i, b := range buf[p.Min:limit] {
			x = x<<1 ^ uint32(b)
			if x-lo < span {
				return p.Min + i // this byte starts the next chunk
			}
		}
	}
	switch {
	case n > p.Max:
		return p.Max
	case eof:
		return n
	default:
		return 0
	}
}

// Split reads r to EOF and calls fn for every chunk in order with the
// chunk's bytes; data is only valid during the call and never longer than
// p.Max. An empty input yields one empty, sole chunk. Errors from r or fn
// end the split and are returned (fn's unwrapped).
func Split(r io.Reader, p Params, fn func(c Chunk, data []byte) error) error {
	if err := p.Validate(); err != nil {
		return err
	}
	buf := make([]byte, 0, p.Max+readAhead)
	var off int64
	eof := false
	for idx := 0; ; idx++ {
		var err error
		buf, eof, err = fill(r, buf, p.Max+1, eof)
		if err != nil {
			return fmt.Errorf("chunk: reading input at offset %d: %w", off+int64(len(buf)), err)
		}
		n := p.Cut(buf, eof)
		last := eof && n == len(buf)
		c := Chunk{Index: idx, Offset: off, Size: int64(n), Last: last}
		if err := fn(c, buf[:n]); err != nil {
			return err
		}
		if last {
			return nil
		}
		off += int64(n)
		buf = buf[:copy(buf, buf[n:])]
	}
}

// fill reads into buf until it holds at least want bytes or r is exhausted.
func fill(r io.Reader, buf []byte, want int, eof bool) ([]byte, bool, error) {
	for !eof && len(buf) < want {
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			return buf, true, nil
		}
		if err != nil {
			return buf, false, err
		}
	}
	return buf, eof, nil
}

// SplitFixed is Split with pieces of exactly size bytes (the last one
// shorter): for a file read in place at random offsets, such as a boot
// pack's image, whose readers fetch only the pieces they touch.
func SplitFixed(r io.Reader, size int, fn func(c Chunk, data []byte) error) error {
	if size <= 0 {
		return fmt.Errorf("%w: fixed chunk size %d", ErrParams, size)
	}
	br := bufio.NewReader(r)
	buf := make([]byte, size)
	var off int64
	for idx := 0; ; idx++ {
		n, err := io.ReadFull(br, buf)
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return fmt.Errorf("chunk: reading input at offset %d: %w", off, err)
		}
		_, perr := br.Peek(1)
		if perr != nil && perr != io.EOF {
			return fmt.Errorf("chunk: reading input at offset %d: %w", off+int64(n), perr)
		}
		last := perr == io.EOF
		if err := fn(Chunk{Index: idx, Offset: off, Size: int64(n), Last: last}, buf[:n]); err != nil {
			return err
		}
		if last {
			return nil
		}
		off += int64(n)
	}
}
