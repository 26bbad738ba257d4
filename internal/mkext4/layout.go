package mkext4

import (
	"fmt"
	"sort"
)

// Fixed geometry: 4 KiB blocks, one block of bitmap per group, 256-byte
// inodes, 64-byte group descriptors (64bit feature), flex groups of 16.
const (
	blockSize      = 4096
	blocksPerGroup = 8 * blockSize
	inodeSize      = 256
	inodesPerBlock = blockSize / inodeSize
	descSize       = 64
	flexSize       = 16
	firstIno       = 11
	maxExtentLen   = 32768
	minBlocks      = 4096    // 16 MiB: room for the metadata and a 4 MiB journal
	maxBlocks      = 1 << 32 // 16 TiB initial size (online growth may go beyond)
	defaultRatio   = 16384   // bytes per inode, like mke2fs.conf
	defaultReserve = 1.0     // percent of blocks reserved for root
	extraIsize     = 32      // i_extra_isize of every inode written
	rootIno        = 2
	journalIno     = 8
	lostFoundIno   = 11
	lostFoundBlks  = 4 // 16 KiB like mke2fs
)

// run is a range of blocks [start, start+n).
type run struct{ start, n uint64 }

func (r run) end() uint64 { return r.start + r.n }

// geometry is the computed shape of the file system.
type geometry struct {
	blocks    uint64 // total blocks
	groups    uint32
	ipg       uint32 // inodes per group
	itb       uint32 // inode table blocks per group
	gdtBlocks uint32 // group descriptor table blocks
	jblocks   uint32 // journal blocks
	reserved  uint64 // blocks reserved for root
}

// hasBackup reports whether group g carries a superblock copy
// (sparse_super: groups 0, 1 and powers of 3, 5 and 7).
func hasBackup(g uint32) bool {
	if g <= 1 {
		return true
	}
	if g%2 == 0 {
		return false
	}
	for _, b := range []uint32{3, 5, 7} {
		n := g
		for n%b == 0 {
			n /= b
		}
		if n == 1 {
			return true
		}
	}
	return false
}

// backupLen is the number of blocks at the start of group g taken by the
// superblock copy and the group descriptor table (0 without a copy).
func (ge *geometry) backupLen(g uint32) uint64 {
	if !hasBackup(g) {
		return 0
	}
	return 1 + uint64(ge.gdtBlocks)
}

// groupStart is the first block of group g.
func groupStart(g uint32) uint64 { return uint64(g) * blocksPerGroup }

// groupLen is the number of blocks of group g (the last one may be short).
func (ge *geometry) groupLen(g uint32) uint64 {
	return min(blocksPerGroup, ge.blocks-groupStart(g))
}

// defaultJournal is mke2fs' ext2fs_default_journal_size for 4 KiB blocks.
func defaultJournal(blocks uint64) uint32 {
	switch {
	case blocks < 32768:
		return 1024
	case blocks < 256*1024:
		return 4096
	case blocks < 512*1024:
		return 8192
	case blocks < 4096*1024:
		return 16384
	case blocks < 8192*1024:
		return 32768
	case blocks < 16384*1024:
		return 65536
	case blocks < 32768*1024:
		return 131072
	}
	return 262144
}

// newGeometry computes the geometry for size bytes.
func newGeometry(size int64, o Options) (*geometry, error) {
	if size < minBlocks*blockSize {
		return nil, fmt.Errorf("%w: %d bytes, need at least %d MiB", ErrTooSmall, size, minBlocks*blockSize>>20)
	}
	ge := &geometry{blocks: uint64(size) / blockSize}
	if ge.blocks > maxBlocks {
		return nil, fmt.Errorf("%w: %d bytes, at most 16 TiB (grow online after formatting)", ErrTooBig, size)
	}
	ratio := uint64(o.InodeRatio)
	if ratio == 0 {
		ratio = defaultRatio
	}
	for {
		ge.groups = uint32((ge.blocks + blocksPerGroup - 1) / blocksPerGroup)
		ipg := (ge.blocks*blockSize/ratio + uint64(ge.groups) - 1) / uint64(ge.groups)
		ipg = (ipg + inodesPerBlock - 1) / inodesPerBlock * inodesPerBlock
		// At most 2^32-1 inodes in all (s_inodes_count is 32 bits).
		maxIPG := (1<<32 - 1) / uint64(ge.groups) / inodesPerBlock * inodesPerBlock
		ge.ipg = uint32(max(inodesPerBlock, min(ipg, blocksPerGroup, maxIPG)))
		ge.itb = ge.ipg / inodesPerBlock
		ge.gdtBlocks = uint32((uint64(ge.groups)*descSize + blockSize - 1) / blockSize)
		last := ge.groups - 1
		rem := ge.groupLen(last)
		// Like mke2fs: a last group too small for its own metadata plus
		// 50 blocks is dropped.
		if ge.groups > 1 && rem < ge.backupLen(last)+2+uint64(ge.itb)+50 {
			ge.blocks -= rem
			continue
		}
		break
	}
	ge.jblocks = defaultJournal(ge.blocks)
	if o.JournalBlocks != 0 {
		ge.jblocks = o.JournalBlocks
	}
	if ge.jblocks < 1024 || uint64(ge.jblocks) > ge.blocks/4 || ge.jblocks > 1<<20 {
		return nil, fmt.Errorf("%w: journal of %d blocks for %d blocks (1024 to a quarter of the file system, at most 1Mi)",
			ErrBadOption, ge.jblocks, ge.blocks)
	}
	pct := o.ReservedPercent
	switch {
	case pct == 0:
		pct = defaultReserve
	case pct < 0:
		pct = 0
	case pct > 50:
		return nil, fmt.Errorf("%w: %v%% reserved blocks (at most 50)", ErrBadOption, pct)
	}
	ge.reserved = uint64(float64(ge.blocks) * pct / 100)
	return ge, nil
}

// allocator hands out blocks: a sorted list of used runs.
type allocator struct {
	blocks uint64
	used   []run
}

// take marks r used. Runs must not overlap (checked).
func (a *allocator) take(r run) error {
	i := sort.Search(len(a.used), func(i int) bool { return a.used[i].start >= r.start })
	if (i > 0 && a.used[i-1].end() > r.start) || (i < len(a.used) && a.used[i].start < r.end()) || r.end() > a.blocks {
		return fmt.Errorf("%w: block run %d+%d overlaps", ErrNoSpace, r.start, r.n)
	}
	a.used = append(a.used, run{})
	copy(a.used[i+1:], a.used[i:])
	a.used[i] = r
	return nil
}

// firstFit allocates n contiguous blocks at or after goal.
func (a *allocator) firstFit(goal, n uint64) (uint64, error) {
	p := goal
	i := sort.Search(len(a.used), func(i int) bool { return a.used[i].end() > p })
	for ; i < len(a.used) && a.used[i].start < p+n; i++ {
		p = max(p, a.used[i].end())
	}
	if p+n > a.blocks {
		return 0, fmt.Errorf("%w: no %d free blocks after block %d", ErrNoSpace, n, goal)
	}
	return p, a.take(run{p, n})
}

// extents allocates n blocks at or after goal as runs of free blocks of
// at most maxExtentLen each (wrapping to block 0 once).
func (a *allocator) extents(goal, n uint64) ([]run, error) {
	var out []run
	p := goal
	wrapped := false
	for n > 0 {
		i := sort.Search(len(a.used), func(i int) bool { return a.used[i].end() > p })
		if i < len(a.used) && a.used[i].start <= p {
			p = a.used[i].end()
			continue
		}
		if p >= a.blocks {
			if wrapped {
				return nil, fmt.Errorf("%w: %d more blocks", ErrNoSpace, n)
			}
			p, wrapped = 0, true
			continue
		}
		free := a.blocks - p
		if i < len(a.used) {
			free = a.used[i].start - p
		}
		k := min(free, n, maxExtentLen)
		if err := a.take(run{p, k}); err != nil {
			return nil, err
		}
		out = append(out, run{p, k})
		p += k
		n -= k
	}
	return out, nil
}

// usedIn counts the used blocks inside group g and returns the runs
// clipped to the group.
func (a *allocator) usedIn(g uint32, glen uint64) (uint64, []run) {
	s, e := groupStart(g), groupStart(g)+glen
	i := sort.Search(len(a.used), func(i int) bool { return a.used[i].end() > s })
	var cnt uint64
	var rs []run
	for ; i < len(a.used) && a.used[i].start < e; i++ {
		r := run{max(s, a.used[i].start), 0}
		r.n = min(e, a.used[i].end()) - r.start
		cnt += r.n
		rs = append(rs, r)
	}
	return cnt, rs
}
