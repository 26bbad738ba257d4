package bootpack

import (
	"context"
	"fmt"
	"os"
	"path"
	"sort"
)

// carry chooses the catalogs a pack carries and reads them: every catalog
// of refs and the catalogs between them and the pack's own, but not the
// catalogs on the way from the root to the one that holds the pack's row
// (publishing the pack changes those, so a carried copy would never be
// the revision's). It stops at CarryBudget bytes and returns how many
// catalogs it left out.
func carry(ctx context.Context, src Source, root string, refs []CatalogRef) ([]CarriedCatalog, []byte, int, error) {
	own, err := src.CatalogFor(ctx, path.Join(root, FileName))
	if err != nil {
		return nil, nil, 0, err
	}
	skip := map[string]bool{"": true}
	for m := own; !skip[m]; {
		skip[m] = true
		if m, err = src.CatalogFor(ctx, m); err != nil {
			return nil, nil, 0, err
		}
	}
	want := map[string]bool{}
	for _, r := range refs {
		for m := r.Mount; !skip[m] && !want[m]; {
			want[m] = true
			if m, err = src.CatalogFor(ctx, m); err != nil {
				return nil, nil, 0, fmt.Errorf("catalog above %s: %w", r.Mount, err)
			}
		}
	}
	mounts := make([]string, 0, len(want))
	for m := range want {
		mounts = append(mounts, m)
	}
	sort.Strings(mounts)
	return readCarried(ctx, src, mounts)
}

// readCarried reads the catalogs mounted at mounts, up to CarryBudget
// bytes, and compresses them into a catalog section.
func readCarried(ctx context.Context, src Source, mounts []string) ([]CarriedCatalog, []byte, int, error) {
	var out []CarriedCatalog
	var dbs [][]byte
	var total int64
	left := 0
	for _, m := range mounts {
		h, file, err := src.CatalogFile(ctx, m)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("catalog %s: %w", m, err)
		}
		db, err := os.ReadFile(file)
		if err != nil {
			return nil, nil, 0, fmt.Errorf("catalog %s: %w", m, err)
		}
		if total+int64(len(db)) > CarryBudget {
			left++
			continue
		}
		total += int64(len(db))
		dbs = append(dbs, db)
		out = append(out, CarriedCatalog{Mount: m, Hash: h.String(), Bytes: int64(len(db))})
	}
	if len(out) == 0 {
		return nil, nil, left, nil
	}
	sec, err := compressCarried(dbs)
	return out, sec, left, err
}
