package reader

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
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
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro&immutable=1")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name, hash, revision, timestamp, description FROM tags ORDER BY revision DESC, name`)
	if err != nil {
		return nil, fmt.Errorf("history database: %w", err)
	}
	defer rows.Close()
	var out []*Tag
	for rows.Next() {
		t := &Tag{}
		var hx string
		var desc sql.NullString
		if err := rows.Scan(&t.Name, &hx, &t.Revision, &t.Timestamp, &desc); err != nil {
			return nil, err
		}
		t.Description = desc.String
		if t.Hash, err = hash.Parse(hx); err != nil {
			return nil, fmt.Errorf("tag %q: %w", t.Name, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
