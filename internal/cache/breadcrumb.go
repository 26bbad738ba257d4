package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// ErrNoBreadcrumb: nothing is known locally about the repository.
var ErrNoBreadcrumb = errors.New("no breadcrumb")

// Breadcrumb is the last verified root catalog of a repository, stored as
// cvmfschecksum.<fqrn>: "<root hash hex>T<manifest timestamp>R<revision>".
type Breadcrumb struct {
	RootHash  hash.Hash
	Timestamp int64
	Revision  uint64 // 0 when the file had no R part (older clients)
}

// String returns the file format, without a newline.
func (b Breadcrumb) String() string {
	return fmt.Sprintf("%sT%dR%d", b.RootHash.String(), b.Timestamp, b.Revision)
}

// ParseBreadcrumb decodes the breadcrumb format.
func ParseBreadcrumb(s string) (Breadcrumb, error) {
	s = strings.TrimSpace(s)
	t := strings.IndexByte(s, 'T')
	if t < 0 {
		return Breadcrumb{}, fmt.Errorf("breadcrumb %q: missing T<timestamp>", s)
	}
	h, err := hash.Parse(s[:t])
	if err != nil {
		return Breadcrumb{}, fmt.Errorf("breadcrumb: %w", err)
	}
	rest, rev := s[t+1:], "0"
	if r := strings.IndexByte(rest, 'R'); r >= 0 {
		rest, rev = rest[:r], rest[r+1:]
	}
	ts, err1 := strconv.ParseInt(rest, 10, 64)
	rv, err2 := strconv.ParseUint(rev, 10, 64)
	if err1 != nil || err2 != nil || ts < 0 {
		return Breadcrumb{}, fmt.Errorf("breadcrumb %q: bad timestamp or revision", s)
	}
	return Breadcrumb{RootHash: h, Timestamp: ts, Revision: rv}, nil
}

func (c *Cache) breadcrumbPath(fqrn string) string {
	return filepath.Join(c.dir, "cvmfschecksum."+fqrn)
}

// ReadBreadcrumb returns the breadcrumb of fqrn or an error wrapping ErrNoBreadcrumb.
func (c *Cache) ReadBreadcrumb(fqrn string) (Breadcrumb, error) {
	data, err := os.ReadFile(c.breadcrumbPath(fqrn))
	if errors.Is(err, fs.ErrNotExist) {
		return Breadcrumb{}, fmt.Errorf("%w for %s", ErrNoBreadcrumb, fqrn)
	}
	if err != nil {
		return Breadcrumb{}, err
	}
	b, err := ParseBreadcrumb(string(data))
	if err != nil {
		return Breadcrumb{}, fmt.Errorf("%w for %s: %v", ErrNoBreadcrumb, fqrn, err)
	}
	return b, nil
}

// WriteBreadcrumb stores b atomically (mode 0600), unless the stored one has
// a higher revision (never moves backwards).
func (c *Cache) WriteBreadcrumb(fqrn string, b Breadcrumb) error {
	if old, err := c.ReadBreadcrumb(fqrn); err == nil && old.Revision > b.Revision {
		return nil
	}
	return writeAtomic(c.breadcrumbPath(fqrn), []byte(b.String()), 0o600)
}
