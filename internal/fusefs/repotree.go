package fusefs

import (
	"context"
	"fmt"

	"github.com/ucvm/ucvm/internal/reader"
)

// repoTree adapts the verified reader to Tree.
type repoTree struct{ *reader.Repo }

func (t repoTree) Info() RepoInfo {
	i := t.Repo.Info()
	return RepoInfo{FQRN: i.FQRN, Revision: i.Revision, RootHash: i.RootHash, Tag: i.Tag,
		Timestamp: i.Timestamp, TTL: i.TTL, Fixed: i.Fixed}
}

// ReaderOpener returns an Opener that opens revisions with reader.Open; base
// carries the source, cache, keys and the configured tag or root hash.
func ReaderOpener(base reader.Options) Opener {
	return func(ctx context.Context, req OpenRequest) (Tree, error) {
		o := base
		if !req.RootHash.IsZero() {
			o.Tag, o.RootHash = "", req.RootHash.String()
		}
		o.MinRevision, o.MinTimestamp = req.MinRevision, req.MinTimestamp
		if o.Tag != "" || o.RootHash != "" && req.RootHash.IsZero() {
			// fixed mounts: rollback protection applies to the trunk only
			o.MinRevision, o.MinTimestamp = 0, 0
		}
		r, err := reader.Open(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", base.FQRN, err)
		}
		return repoTree{r}, nil
	}
}
