package fusefs

import "fmt"

// Stats are counters of the mounted file system since it was mounted.
type Stats struct {
	Reads       int64 // READ requests from the kernel
	Fetched     int64 // files fetched ahead of the reader
	Pushed      int64 // files stored in the kernel's page cache ahead of the reader
	PushedBytes int64
}

// Stats returns the file system's counters.
func (f *FS) Stats() Stats {
	return Stats{Reads: f.reads.Load(), Fetched: f.ahead.fetched.Load(),
		Pushed: f.ahead.pushed.Load(), PushedBytes: f.ahead.pushedBytes.Load()}
}

func (s Stats) String() string {
	return fmt.Sprintf("reads %d\nahead_fetched %d\nahead_pushed %d\nahead_pushed_bytes %d\n",
		s.Reads, s.Fetched, s.Pushed, s.PushedBytes)
}
