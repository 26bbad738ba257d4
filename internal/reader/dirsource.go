package reader

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// DirSource reads a repository's storage directory (stratum-0 layout)
// directly. It has no retries: a bad object is simply bad.
type DirSource struct{ Dir string }

// Get implements Source.
func (d DirSource) Get(ctx context.Context, rel string, consume func(io.Reader) error) error {
	if strings.Contains(rel, "..") {
		return fmt.Errorf("%w: %s", ErrNotFound, rel)
	}
	f, err := os.Open(filepath.Join(d.Dir, filepath.FromSlash(rel)))
	if os.IsNotExist(err) {
		return fmt.Errorf("%w: %s in %s", ErrNotFound, rel, d.Dir)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return consume(f)
}
