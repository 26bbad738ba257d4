package sqlite

import "fmt"

// scanTable calls fn for every row of the table b-tree at pg in rowid order.
func (w *walk) scanTable(pg uint32, depth int, fn func(rowid int64, payload []byte) error) error {
	p, err := w.load(pg, depth, false)
	if err != nil {
		return err
	}
	for i := 0; i < p.ncells; i++ {
		if !p.leaf() {
			c, err := p.cell(i, w.db.usable)
			if err != nil {
				return err
			}
			ch, err := child(c)
			if err != nil {
				return err
			}
			if err := w.scanTable(ch, depth+1, fn); err != nil {
				return err
			}
			continue
		}
		rowid, payload, err := w.tableCell(&p, i, true)
		if err != nil {
			return err
		}
		if err := fn(rowid, payload); err != nil {
			return err
		}
	}
	if p.leaf() {
		return nil
	}
	return w.scanTable(p.right, depth+1, fn)
}

// search returns the first i in [0,n) with f(i) >= 0 (n if none), stopping
// at the first error of f.
func search(n int, f func(int) (int, error)) (int, error) {
	lo, hi := 0, n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		c, err := f(mid)
		if err != nil {
			return 0, err
		}
		if c < 0 {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// leafHint remembers the last leaf page of a series of rowid seeks: rows
// fetched through an index are often neighbours.
type leafHint struct {
	p      btPage
	lo, hi int64
	ok     bool
}

// inHint returns the leaf of hint if it covers rowid.
func (w *walk) inHint(h *leafHint, rowid int64) (btPage, bool) {
	if h == nil || !h.ok || rowid < h.lo || rowid > h.hi {
		return btPage{}, false
	}
	return h.p, true
}

// remember stores leaf p as the hint.
func (w *walk) remember(h *leafHint, p *btPage) {
	if h == nil || p.ncells == 0 {
		return
	}
	lo, _, err1 := w.tableCell(p, 0, false)
	hi, _, err2 := w.tableCell(p, p.ncells-1, false)
	*h = leafHint{p: *p, lo: lo, hi: hi, ok: err1 == nil && err2 == nil && lo <= hi}
}

// findRowid returns the payload of the row with the given rowid; hint (may
// be nil) short-cuts the descent when the previous leaf holds the row.
func (w *walk) findRowid(root uint32, rowid int64, hint *leafHint) ([]byte, bool, error) {
	pg := root
	for depth := 0; ; depth++ {
		p, hinted := w.inHint(hint, rowid)
		if !hinted {
			var err error
			if p, err = w.load(pg, depth, false); err != nil {
				return nil, false, err
			}
		}
		i, err := search(p.ncells, func(i int) (int, error) {
			k, _, err := w.tableCell(&p, i, false)
			return cmpInt(k, rowid), err
		})
		if err != nil {
			return nil, false, err
		}
		if p.leaf() {
			if !hinted {
				w.remember(hint, &p)
			}
			if i == p.ncells {
				return nil, false, nil
			}
			k, payload, err := w.tableCell(&p, i, true)
			if err != nil || k != rowid {
				return nil, false, err
			}
			return payload, true, nil
		}
		if i == p.ncells {
			pg = p.right
			continue
		}
		c, err := p.cell(i, w.db.usable)
		if err != nil {
			return nil, false, err
		}
		if pg, err = child(c); err != nil {
			return nil, false, err
		}
	}
}

// maxRowid follows right-most pointers to the largest rowid.
func (w *walk) maxRowid(root uint32) (int64, bool, error) {
	pg := root
	for depth := 0; ; depth++ {
		p, err := w.load(pg, depth, false)
		if err != nil {
			return 0, false, err
		}
		if !p.leaf() {
			pg = p.right
			continue
		}
		if p.ncells == 0 {
			if depth > 0 {
				return 0, false, fmt.Errorf("%w: empty leaf page %d below the root", ErrCorrupt, pg)
			}
			return 0, false, nil
		}
		k, _, err := w.tableCell(&p, p.ncells-1, false)
		return k, err == nil, err
	}
}

// seekIndex calls fn with every index record whose leading fields equal
// key, in index order. stop reports that a larger key was seen.
func (w *walk) seekIndex(pg uint32, depth int, key []Value, rec *Record, fn func(*Record) error) (stop bool, err error) {
	p, err := w.load(pg, depth, true)
	if err != nil {
		return false, err
	}
	cmp := func(i int) (int, error) {
		payload, err := w.indexCell(&p, i)
		if err != nil {
			return 0, err
		}
		if err := rec.parse(payload); err != nil {
			return 0, err
		}
		for j, v := range key {
			if c := compare(rec.Field(j), v); c != 0 {
				return c, nil
			}
		}
		return 0, nil
	}
	lo, err := search(p.ncells, cmp)
	if err != nil {
		return false, err
	}
	for i := lo; i < p.ncells; i++ {
		if !p.leaf() {
			c, err := p.cell(i, w.db.usable)
			if err != nil {
				return false, err
			}
			ch, err := child(c)
			if err != nil {
				return false, err
			}
			if stop, err := w.seekIndex(ch, depth+1, key, rec, fn); stop || err != nil {
				return stop, err
			}
		}
		c, err := cmp(i)
		if err != nil || c > 0 {
			return true, err
		}
		if err := fn(rec); err != nil {
			return true, err
		}
	}
	if p.leaf() {
		return false, nil
	}
	return w.seekIndex(p.right, depth+1, key, rec, fn)
}
