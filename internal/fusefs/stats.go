package fusefs

import (
	"fmt"
	"sync/atomic"
)

// opCounts counts the kernel's requests by kind.
type opCounts struct {
	lookups, negLookups, getattrs, readlinks, opendirs, reads, readBytes, getxattrs, statfs atomic.Int64
}

// Stats are counters of the mounted file system since it was mounted.
type Stats struct {
	Lookups, NegativeLookups, Getattrs, Readlinks, Opendirs, Getxattrs, Statfs int64

	Reads       int64 // READ requests from the kernel
	ReadBytes   int64 // bytes answered to them
	Fetched     int64 // files fetched ahead of the reader
	Pushed      int64 // files stored in the kernel's page cache ahead of the reader
	PushedBytes int64
}

// Stats returns the file system's counters.
func (f *FS) Stats() Stats {
	o := &f.ops
	return Stats{Lookups: o.lookups.Load(), NegativeLookups: o.negLookups.Load(), Getattrs: o.getattrs.Load(),
		Readlinks: o.readlinks.Load(), Opendirs: o.opendirs.Load(), Getxattrs: o.getxattrs.Load(), Statfs: o.statfs.Load(),
		Reads: o.reads.Load(), ReadBytes: o.readBytes.Load(), Fetched: f.ahead.fetched.Load(),
		Pushed: f.ahead.pushed.Load(), PushedBytes: f.ahead.pushedBytes.Load()}
}

func (s Stats) String() string {
	return fmt.Sprintf("lookups %d\nnegative_lookups %d\ngetattrs %d\nreadlinks %d\nopendirs %d\ngetxattrs %d\nstatfs %d\n"+
		"reads %d\nread_bytes %d\nahead_fetched %d\nahead_pushed %d\nahead_pushed_bytes %d\n",
		s.Lookups, s.NegativeLookups, s.Getattrs, s.Readlinks, s.Opendirs, s.Getxattrs, s.Statfs,
		s.Reads, s.ReadBytes, s.Fetched, s.Pushed, s.PushedBytes)
}

// LogAttrs returns the counters as slog attributes.
func (s Stats) LogAttrs() []any {
	return []any{"lookups", s.Lookups, "negative_lookups", s.NegativeLookups, "getattrs", s.Getattrs,
		"readlinks", s.Readlinks, "opendirs", s.Opendirs, "getxattrs", s.Getxattrs, "reads", s.Reads, "read_bytes", s.ReadBytes,
		"ahead_fetched", s.Fetched, "ahead_pushed", s.Pushed}
}
