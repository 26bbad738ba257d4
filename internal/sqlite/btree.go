package sqlite

import (
	"encoding/binary"
	"fmt"
)

// B-tree page types (first byte of the page header).
const (
	interiorIndex = 2
	interiorTable = 5
	leafIndex     = 10
	leafTable     = 13
)

// btPage is one decoded b-tree page header.
type btPage struct {
	data   []byte // the whole page
	typ    byte
	ncells int
	cells  int    // offset of the cell pointer array
	right  uint32 // right-most child (interior pages)
}

// walk is one traversal of the file; budget bounds the pages it may load so
// that loops in a corrupt file end in ErrCorrupt instead of a hang.
type walk struct {
	db     *DB
	budget int64
}

func (db *DB) newWalk() *walk { return &walk{db: db, budget: int64(db.nPages) + 1} }

// load reads b-tree page n at the given depth and checks its header.
func (w *walk) load(n uint32, depth int, index bool) (btPage, error) {
	if depth > maxDepth {
		return btPage{}, fmt.Errorf("%w: b-tree deeper than %d (loop?) at page %d", ErrCorrupt, maxDepth, n)
	}
	if w.budget--; w.budget < 0 {
		return btPage{}, fmt.Errorf("%w: b-tree visits more pages than the file has (loop at page %d)", ErrCorrupt, n)
	}
	data, hdr, err := w.db.page(n)
	if err != nil {
		return btPage{}, err
	}
	p := btPage{data: data, typ: data[hdr], ncells: int(binary.BigEndian.Uint16(data[hdr+3:]))}
	switch {
	case !index && (p.typ == leafTable || p.typ == interiorTable):
	case index && (p.typ == leafIndex || p.typ == interiorIndex):
	default:
		return btPage{}, fmt.Errorf("%w: page %d has type %d, want a %s b-tree page", ErrCorrupt, n, p.typ, kindName(index))
	}
	p.cells = hdr + 8
	if !p.leaf() {
		p.right = binary.BigEndian.Uint32(data[hdr+8:])
		p.cells += 4
	}
	if p.cells+2*p.ncells > w.db.usable {
		return btPage{}, fmt.Errorf("%w: page %d claims %d cells", ErrCorrupt, n, p.ncells)
	}
	return p, nil
}

func kindName(index bool) string {
	if index {
		return "index"
	}
	return "table"
}

func (p *btPage) leaf() bool { return p.typ == leafTable || p.typ == leafIndex }

// cell returns the bytes from the start of cell i to the end of the usable
// area.
func (p *btPage) cell(i int, usable int) ([]byte, error) {
	off := int(binary.BigEndian.Uint16(p.data[p.cells+2*i:]))
	if off < p.cells+2*p.ncells || off >= usable {
		return nil, fmt.Errorf("%w: cell %d offset %d outside the page content area", ErrCorrupt, i, off)
	}
	return p.data[off:usable], nil
}

// child returns the left child page number of interior cell c.
func child(c []byte) (uint32, error) {
	if len(c) < 4 {
		return 0, fmt.Errorf("%w: truncated interior cell", ErrCorrupt)
	}
	return binary.BigEndian.Uint32(c), nil
}

// payload returns the full payload of a cell whose payload (of total size
// size) starts at c[0], following overflow pages when it does not fit.
func (w *walk) payload(c []byte, size uint64, tableLeaf bool) ([]byte, error) {
	u := uint64(w.db.usable)
	x := (u-12)*64/255 - 23
	if tableLeaf {
		x = u - 35
	}
	if size <= x {
		if size > uint64(len(c)) {
			return nil, fmt.Errorf("%w: payload of %d bytes overruns its page", ErrCorrupt, size)
		}
		return c[:size], nil
	}
	if size > uint64(len(w.db.data)) {
		return nil, fmt.Errorf("%w: payload of %d bytes is larger than the file", ErrCorrupt, size)
	}
	m := (u-12)*32/255 - 23
	local := m + (size-m)%(u-4)
	if local > x {
		local = m
	}
	if local+4 > uint64(len(c)) {
		return nil, fmt.Errorf("%w: overflowing cell overruns its page", ErrCorrupt)
	}
	buf := make([]byte, 0, size)
	buf = append(buf, c[:local]...)
	next := binary.BigEndian.Uint32(c[local:])
	for uint64(len(buf)) < size {
		if w.budget--; w.budget < 0 {
			return nil, fmt.Errorf("%w: overflow chain loops", ErrCorrupt)
		}
		pg, _, err := w.db.page(next)
		if err != nil {
			return nil, fmt.Errorf("overflow chain: %w", err)
		}
		n := min(size-uint64(len(buf)), u-4)
		buf = append(buf, pg[4:4+n]...)
		next = binary.BigEndian.Uint32(pg)
	}
	return buf, nil
}

// tableCell decodes table cell i of page p: the rowid and, on leaves, the
// payload.
func (w *walk) tableCell(p *btPage, i int, wantPayload bool) (rowid int64, payload []byte, err error) {
	c, err := p.cell(i, w.db.usable)
	if err != nil {
		return 0, nil, err
	}
	if !p.leaf() {
		if len(c) < 4 {
			return 0, nil, fmt.Errorf("%w: truncated interior cell", ErrCorrupt)
		}
		k, n := varint(c[4:])
		if n == 0 {
			return 0, nil, fmt.Errorf("%w: bad varint in interior cell", ErrCorrupt)
		}
		return int64(k), nil, nil
	}
	size, n := varint(c)
	k, m := varint(c[n:])
	if n == 0 || m == 0 {
		return 0, nil, fmt.Errorf("%w: bad varint in table leaf cell", ErrCorrupt)
	}
	if !wantPayload {
		return int64(k), nil, nil
	}
	payload, err = w.payload(c[n+m:], size, true)
	return int64(k), payload, err
}

// indexCell returns the payload of index cell i of page p.
func (w *walk) indexCell(p *btPage, i int) ([]byte, error) {
	c, err := p.cell(i, w.db.usable)
	if err != nil {
		return nil, err
	}
	if !p.leaf() {
		if len(c) < 4 {
			return nil, fmt.Errorf("%w: truncated interior cell", ErrCorrupt)
		}
		c = c[4:]
	}
	size, n := varint(c)
	if n == 0 {
		return nil, fmt.Errorf("%w: bad varint in index cell", ErrCorrupt)
	}
	return w.payload(c[n:], size, false)
}
