package reader

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ucvm/ucvm/internal/cvmfs/object"
	"github.com/ucvm/ucvm/internal/fetch"
)

// FetchSource adapts the download manager (hosts, proxies, failover) to
// Source: verification failures become fetch.ErrBadData so that the fetcher
// retries without proxy caches and then on the next host.
type FetchSource struct{ F *fetch.Fetcher }

// Get implements Source.
func (s FetchSource) Get(ctx context.Context, rel string, consume func(io.Reader) error) error {
	err := s.F.Get(ctx, rel, func(body io.Reader) error {
		err := consume(body)
		if errors.Is(err, object.ErrBadData) && !errors.Is(err, fetch.ErrBadData) {
			return fmt.Errorf("%w: %w", fetch.ErrBadData, err)
		}
		return err
	})
	if errors.Is(err, fetch.ErrNotFound) && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}
