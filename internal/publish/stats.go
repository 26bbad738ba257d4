package publish

import (
	"fmt"
	"time"
)

// Stats counts the work of one publish.
type Stats struct {
	Entries        int64 // entries in the new tree
	Files          int64 // regular files read and hashed
	FilesReused    int64 // regular files taken from the previous revision
	Bytes          int64 // content bytes read
	Chunks         int64
	ObjectsWritten int64 // new objects (files, chunks, catalogs)
	BytesWritten   int64 // stored (compressed) bytes of new objects
	Catalogs       int64 // catalogs written
	CatalogsReused int64 // nested catalogs unchanged from the previous revision
	Duration       time.Duration
}

// Summary is the one-line result of a publish.
func (s *Stats) Summary(fqrn string, revision uint64) string {
	secs := s.Duration.Seconds()
	if secs <= 0 {
		secs = 1e-9
	}
	return fmt.Sprintf("published %s revision %d: %d entries, %d files read (%d reused), %.1f MB in %.1fs (%.0f files/s, %.1f MB/s), %d new objects (%.1f MB), %d catalogs written, %d reused",
		fqrn, revision, s.Entries, s.Files, s.FilesReused, float64(s.Bytes)/1e6, secs,
		float64(s.Files+s.FilesReused)/secs, float64(s.Bytes)/1e6/secs, s.ObjectsWritten, float64(s.BytesWritten)/1e6, s.Catalogs, s.CatalogsReused)
}
