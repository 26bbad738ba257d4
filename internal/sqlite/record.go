package sqlite

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// Kind is the storage class of a Value.
type Kind uint8

// Storage classes, in SQLite's sort order (numbers compare with each other).
const (
	Null Kind = iota
	Integer
	Float
	Text
	Blob
)

// Value is one decoded field. B aliases the database mapping (or a private
// copy for payloads spilled to overflow pages): callers that keep it past
// the callback or past Close must copy it (String, Bytes do).
type Value struct {
	Kind Kind
	I    int64
	F    float64
	B    []byte
}

// IntValue, TextValue make query arguments.
func IntValue(v int64) Value { return Value{Kind: Integer, I: v} }

// TextValue returns a Text value.
func TextValue(s string) Value { return Value{Kind: Text, B: []byte(s)} }

// IsNull reports a NULL.
func (v Value) IsNull() bool { return v.Kind == Null }

// Int returns the value as an integer (REAL truncated, TEXT parsed as
// SQLite's CAST does for plain decimal numbers, otherwise 0).
func (v Value) Int() int64 {
	switch v.Kind {
	case Integer:
		return v.I
	case Float:
		return int64(v.F)
	case Text:
		n, _ := strconv.ParseInt(string(v.B), 10, 64)
		return n
	}
	return 0
}

// String returns TEXT and BLOB contents as a string, numbers in decimal
// (REAL as Go's shortest form), NULL as "".
func (v Value) String() string {
	switch v.Kind {
	case Integer:
		return strconv.FormatInt(v.I, 10)
	case Float:
		return strconv.FormatFloat(v.F, 'g', -1, 64)
	case Text, Blob:
		return string(v.B)
	}
	return ""
}

// Bytes returns a copy of a TEXT or BLOB value (nil for others).
func (v Value) Bytes() []byte {
	if v.Kind != Text && v.Kind != Blob {
		return nil
	}
	return append([]byte{}, v.B...)
}

// compare orders a and b as SQLite does with the BINARY collation:
// NULL < numbers < TEXT < BLOB, numbers by value, TEXT and BLOB by bytes.
func compare(a, b Value) int {
	ca, cb := class(a.Kind), class(b.Kind)
	if ca != cb {
		return cmpInt(int64(ca), int64(cb))
	}
	switch ca {
	case 0:
		return 0
	case 1:
		return compareNum(a, b)
	}
	return compareBytes(a.B, b.B)
}

func class(k Kind) int {
	switch k {
	case Null:
		return 0
	case Integer, Float:
		return 1
	case Text:
		return 2
	}
	return 3
}

func compareNum(a, b Value) int {
	if a.Kind == Integer && b.Kind == Integer {
		return cmpInt(a.I, b.I)
	}
	fa, fb := a.F, b.F
	if a.Kind == Integer {
		fa = float64(a.I)
	}
	if b.Kind == Integer {
		fb = float64(b.I)
	}
	switch {
	case fa < fb:
		return -1
	case fa > fb:
		return 1
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func compareBytes(a, b []byte) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return cmpInt(int64(a[i]), int64(b[i]))
		}
	}
	return cmpInt(int64(len(a)), int64(len(b)))
}

// varint decodes a SQLite varint (1-9 bytes, big-endian 7-bit groups, the
// ninth byte contributing all 8 bits). n is 0 when b is too short.
func varint(b []byte) (v uint64, n int) {
	for i := 0; i < 8; i++ {
		if i >= len(b) {
			return 0, 0
		}
		v = v<<7 | uint64(b[i]&0x7f)
		if b[i] < 0x80 {
			return v, i + 1
		}
	}
	if len(b) < 9 {
		return 0, 0
	}
	return v<<8 | uint64(b[8]), 9
}

// Record is a decoded record header over its payload. Fields are decoded on
// demand by Column.
type Record struct {
	payload []byte
	types   []uint64
	offs    []int // start of each field body in payload
	tbuf    [20]uint64
	obuf    [20]int
}

// parseRecord decodes the header of payload into r (reusing r's slices).
func (r *Record) parse(payload []byte) error {
	if r.types == nil {
		r.types, r.offs = r.tbuf[:0], r.obuf[:0]
	}
	r.payload, r.types, r.offs = payload, r.types[:0], r.offs[:0]
	hsz, n := varint(payload)
	if n == 0 || hsz < uint64(n) || hsz > uint64(len(payload)) {
		return fmt.Errorf("%w: record header size %d of %d-byte payload", ErrCorrupt, hsz, len(payload))
	}
	pos, body := n, int(hsz)
	for pos < int(hsz) {
		t, m := varint(payload[pos:hsz])
		if m == 0 {
			return fmt.Errorf("%w: truncated serial type in record header", ErrCorrupt)
		}
		pos += m
		size, err := serialSize(t)
		if err != nil {
			return err
		}
		r.types = append(r.types, t)
		r.offs = append(r.offs, body)
		if uint64(len(payload)-body) < size {
			return fmt.Errorf("%w: record field %d overruns payload", ErrCorrupt, len(r.types)-1)
		}
		body += int(size)
	}
	return nil
}

// Len returns the number of fields stored in the record.
func (r *Record) Len() int { return len(r.types) }

// Field decodes stored field i (NULL when i is beyond the stored fields).
func (r *Record) Field(i int) Value {
	if i < 0 || i >= len(r.types) {
		return Value{}
	}
	t, b := r.types[i], r.payload[r.offs[i]:]
	switch {
	case t == 0:
		return Value{}
	case t >= 1 && t <= 6:
		return Value{Kind: Integer, I: beInt(b[:intSizes[t]])}
	case t == 7:
		return Value{Kind: Float, F: math.Float64frombits(binary.BigEndian.Uint64(b))}
	case t == 8:
		return Value{Kind: Integer}
	case t == 9:
		return Value{Kind: Integer, I: 1}
	case t%2 == 0:
		return Value{Kind: Blob, B: b[:(t-12)/2]}
	}
	return Value{Kind: Text, B: b[:(t-13)/2]}
}

var intSizes = [7]int{0, 1, 2, 3, 4, 6, 8}

func beInt(b []byte) int64 {
	var v int64
	if len(b) > 0 && b[0]&0x80 != 0 {
		v = -1
	}
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return v
}

func serialSize(t uint64) (uint64, error) {
	switch {
	case t <= 6:
		return uint64(intSizes[t]), nil
	case t == 7:
		return 8, nil
	case t == 8 || t == 9:
		return 0, nil
	case t == 10 || t == 11:
		return 0, fmt.Errorf("%w: reserved serial type %d", ErrCorrupt, t)
	}
	return (t - 12) / 2, nil
}
