package catalog

import (
	"fmt"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// ObjectRef names a content object referenced by a catalog.
type ObjectRef struct {
	Hash   hash.Hash
	Suffix byte
}

// Objects lists the distinct content objects of this catalog: file objects
// and chunks (external files excluded), as a stratum-1 enumerates them.
func (c *Catalog) Objects() ([]ObjectRef, error) {
	rows, err := c.db.Query(`SELECT DISTINCT hash, flags FROM catalog WHERE hash IS NOT NULL AND (flags & ?) = 0`, FlagFileExternal)
	if err != nil {
		return nil, err
	}
	var out []ObjectRef
	seen := map[string]bool{}
	for rows.Next() {
		var blob []byte
		var flags int64
		if err := rows.Scan(&blob, &flags); err != nil {
			rows.Close()
			return nil, err
		}
		e := Entry{Flags: uint32(flags)}
		h, err := hash.FromDigest(e.HashAlgorithm(), blob)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("catalog object list: %w", err)
		}
		if !seen[h.String()] {
			seen[h.String()] = true
			out = append(out, ObjectRef{Hash: h, Suffix: hash.SuffixNone})
		}
	}
	rows.Close()
	crow, err := c.db.Query(`SELECT DISTINCT chunks.hash, catalog.flags FROM chunks JOIN catalog ON chunks.md5path_1 = catalog.md5path_1 AND chunks.md5path_2 = catalog.md5path_2`)
	if err != nil {
		return nil, err
	}
	defer crow.Close()
	for crow.Next() {
		var blob []byte
		var flags int64
		if err := crow.Scan(&blob, &flags); err != nil {
			return nil, err
		}
		e := Entry{Flags: uint32(flags)}
		h, err := hash.FromDigest(e.HashAlgorithm(), blob)
		if err != nil {
			return nil, fmt.Errorf("catalog chunk list: %w", err)
		}
		if !seen[h.String()+"P"] {
			seen[h.String()+"P"] = true
			out = append(out, ObjectRef{Hash: h, Suffix: hash.SuffixPartial})
		}
	}
	return out, crow.Err()
}

// NestedOnly lists the nested catalogs without bind mountpoints (what
// replication and garbage collection traverse).
func (c *Catalog) NestedOnly() ([]NestedRef, error) {
	all, err := c.Nested()
	if err != nil || c.Revision < 4 {
		return all, err
	}
	binds := map[string]bool{}
	rows, err := c.db.Query(`SELECT path FROM bind_mountpoints`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		binds[p] = true
	}
	out := all[:0]
	for _, r := range all {
		if !binds[r.Path] {
			out = append(out, r)
		}
	}
	return out, rows.Err()
}
