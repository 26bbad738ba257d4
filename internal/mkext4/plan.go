package mkext4

// plan is where every metadata block of a new file system goes.
type plan struct {
	ge      *geometry
	a       allocator
	bb, ib  []uint64 // block and inode bitmap of each group
	it      []uint64 // first inode table block of each group
	journal []run    // journal extents
	jleaf   uint64   // extent leaf block of the journal (0: extents in the inode)
	rootBlk uint64   // root directory block
	lfBlk   uint64   // first of the lost+found blocks
}

// newPlan places superblock copies, descriptor tables, flex group
// metadata, directories and the journal.
func newPlan(ge *geometry) (*plan, error) {
	p := &plan{ge: ge, a: allocator{blocks: ge.blocks},
		bb: make([]uint64, ge.groups), ib: make([]uint64, ge.groups), it: make([]uint64, ge.groups)}
	for g := uint32(0); g < ge.groups; g++ {
		if n := ge.backupLen(g); n > 0 {
			if err := p.a.take(run{groupStart(g), n}); err != nil {
				return nil, err
			}
		}
	}
	for g0 := uint32(0); g0 < ge.groups; g0 += flexSize {
		n := min(flexSize, ge.groups-g0)
		start, err := p.a.firstFit(groupStart(g0), uint64(n)*(2+uint64(ge.itb)))
		if err != nil {
			return nil, err
		}
		for i := uint32(0); i < n; i++ {
			p.bb[g0+i] = start + uint64(i)
			p.ib[g0+i] = start + uint64(n+i)
			p.it[g0+i] = start + 2*uint64(n) + uint64(i)*uint64(ge.itb)
		}
	}
	var err error
	if p.rootBlk, err = p.a.firstFit(0, 1); err != nil {
		return nil, err
	}
	if p.lfBlk, err = p.a.firstFit(0, lostFoundBlks); err != nil {
		return nil, err
	}
	// The journal goes to the middle of the file system like mke2fs'.
	goal := groupStart(ge.groups / 2)
	if p.journal, err = p.a.extents(goal, uint64(ge.jblocks)); err != nil {
		return nil, err
	}
	if len(p.journal) > 4 {
		if len(p.journal) > maxLeafExtents {
			return nil, ErrNoSpace
		}
		if p.jleaf, err = p.a.firstFit(p.journal[0].start, 1); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// ownInGroup counts group g's own bitmaps and inode table blocks that lie
// inside g (what the kernel marks for a BLOCK_UNINIT group).
func (p *plan) ownInGroup(g uint32) uint64 {
	s, e := groupStart(g), groupStart(g)+p.ge.groupLen(g)
	overlap := func(a, n uint64) uint64 {
		lo, hi := max(a, s), min(a+n, e)
		if hi <= lo {
			return 0
		}
		return hi - lo
	}
	return overlap(p.bb[g], 1) + overlap(p.ib[g], 1) + overlap(p.it[g], uint64(p.ge.itb))
}
