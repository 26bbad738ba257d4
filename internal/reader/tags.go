package reader

import (
	"context"
	"errors"
	"fmt"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/history"
	"github.com/ucvm/ucvm/internal/cvmfs/manifest"
)

// Tag is one named snapshot of the repository.
type Tag struct {
	Name        string
	Hash        hash.Hash
	Revision    uint64
	Timestamp   int64
	Description string
}

func (r *Repo) findTag(ctx context.Context, m *manifest.Manifest, name string) (*Tag, error) {
	tags, err := r.listTags(ctx, m)
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		if t.Name == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("%w: tag %q (see `ucvm tags`)", ErrNotFound, name)
}

// Tags lists the tags of the repository's current history database.
func (r *Repo) Tags(ctx context.Context) ([]*Tag, error) {
	if r.info.Manifest == nil {
		return nil, errors.New("no manifest: tags are unknown for a mount by root hash")
	}
	return r.listTags(ctx, r.info.Manifest)
}

func (r *Repo) listTags(ctx context.Context, m *manifest.Manifest) ([]*Tag, error) {
	if m.History.IsZero() {
		return nil, nil
	}
	f, err := r.objs.get(ctx, m.History, hash.SuffixHistory, true, -1, KindCatalog, "history")
	if err != nil {
		return nil, fmt.Errorf("history database: %w", err)
	}
	name := f.Name()
	f.Close()
	return readTags(name)
}

func readTags(path string) ([]*Tag, error) {
	db, err := history.OpenReadOnly(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	tags, err := db.List()
	if err != nil {
		return nil, err
	}
	out := make([]*Tag, 0, len(tags))
	for _, t := range tags {
		out = append(out, &Tag{Name: t.Name, Hash: t.Hash, Revision: t.Revision, Timestamp: t.Timestamp, Description: t.Description})
	}
	return out, nil
}
