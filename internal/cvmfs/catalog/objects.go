package catalog

import (
	"fmt"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/sqlite"
)

// ObjectRef names a content object referenced by a catalog.
type ObjectRef struct {
	Hash   hash.Hash
	Suffix byte
}

// Objects lists the distinct content objects of this catalog: file objects
// and chunks (external files excluded), as a stratum-1 enumerates them.
func (c *Catalog) Objects() ([]ObjectRef, error) {
	var out []ObjectRef
	seen := map[string]bool{}
	add := func(flags int64, digest []byte, suffix byte) error {
		e := Entry{Flags: uint32(flags)}
		h, err := hash.FromDigest(e.HashAlgorithm(), digest)
		if err != nil {
			return fmt.Errorf("catalog object list: %w", err)
		}
		if k := h.String() + string(suffix); !seen[k] {
			seen[k] = true
			out = append(out, ObjectRef{Hash: h, Suffix: suffix})
		}
		return nil
	}
	err := c.cat.Scan(func(r *sqlite.Row) error {
		blob, flags := r.Column(c.col.hash), r.Column(c.col.flags).Int()
		if blob.IsNull() || flags&FlagFileExternal != 0 {
			return nil
		}
		return add(flags, blob.B, hash.SuffixNone)
	})
	if err != nil {
		return nil, err
	}
	chunks, err := c.table("chunks")
	if err != nil {
		return nil, err
	}
	p1, p2, hx := chunks.ColumnIndex("md5path_1"), chunks.ColumnIndex("md5path_2"), chunks.ColumnIndex("hash")
	if p1 < 0 || p2 < 0 || hx < 0 {
		return nil, fmt.Errorf("%w: chunks table lacks md5path/hash", ErrSchema)
	}
	type chunkRef struct {
		key    []sqlite.Value
		digest []byte
	}
	var refs []chunkRef
	err = chunks.Scan(func(r *sqlite.Row) error {
		refs = append(refs, chunkRef{[]sqlite.Value{r.Column(p1), r.Column(p2)}, r.Column(hx).Bytes()})
		return nil
	})
	for _, ref := range refs {
		if err != nil {
			break
		}
		err = c.cat.Where(pathCols, ref.key, func(owner *sqlite.Row) error {
			return add(owner.Column(c.col.flags).Int(), ref.digest, hash.SuffixPartial)
		})
	}
	return out, err
}

// NestedOnly lists the nested catalogs without bind mountpoints (what
// replication and garbage collection traverse).
func (c *Catalog) NestedOnly() ([]NestedRef, error) {
	all, err := c.Nested()
	if err != nil || c.Revision < 4 {
		return all, err
	}
	binds, err := c.refs("bind_mountpoints", true)
	if err != nil {
		return nil, err
	}
	skip := map[string]bool{}
	for _, b := range binds {
		skip[b.Path] = true
	}
	out := all[:0]
	for _, r := range all {
		if !skip[r.Path] {
			out = append(out, r)
		}
	}
	return out, nil
}
