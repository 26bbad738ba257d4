package catalog

import (
	"fmt"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/sqlite"
)

// entryCols holds the positions of the catalog table's columns; xattr and
// mtimens are -1 in schema revisions that predate them (0-1 and 0-6).
type entryCols struct {
	hash, hardlinks, size, mode, mtime, flags, name, symlink, uid, gid int
	xattr, mtimens                                                     int
}

func (ec *entryCols) resolve(t *sqlite.Table, revision int) error {
	need := map[string]*int{"hash": &ec.hash, "hardlinks": &ec.hardlinks, "size": &ec.size,
		"mode": &ec.mode, "mtime": &ec.mtime, "flags": &ec.flags, "name": &ec.name,
		"symlink": &ec.symlink, "uid": &ec.uid, "gid": &ec.gid}
	ec.xattr, ec.mtimens = -1, -1
	if revision >= 2 {
		need["xattr"] = &ec.xattr
	}
	if revision >= 7 {
		need["mtimens"] = &ec.mtimens
	}
	for _, k := range append(pathCols, parentCols...) {
		need[k] = new(int)
	}
	for name, p := range need {
		if *p = t.ColumnIndex(name); *p < 0 {
			return fmt.Errorf("%w: catalog table has no column %s (schema revision %d)", ErrSchema, name, revision)
		}
	}
	return nil
}

// entry decodes a catalog row (Path is left to the caller).
func (ec *entryCols) entry(r *sqlite.Row) (*Entry, error) {
	e := &Entry{
		Hardlinks: uint64(r.Column(ec.hardlinks).Int()),
		Size:      r.Column(ec.size).Int(),
		Mode:      uint32(r.Column(ec.mode).Int()),
		Mtime:     r.Column(ec.mtime).Int(),
		Flags:     uint32(r.Column(ec.flags).Int()),
		Name:      r.Column(ec.name).String(),
		Symlink:   r.Column(ec.symlink).String(),
		UID:       uint32(r.Column(ec.uid).Int()),
		GID:       uint32(r.Column(ec.gid).Int()),
		RowID:     r.Rowid,
		HasXattrs: ec.xattr >= 0 && !r.Column(ec.xattr).IsNull(),
		MtimeNs:   -1,
	}
	if ec.mtimens >= 0 {
		if ns := r.Column(ec.mtimens); !ns.IsNull() {
			e.MtimeNs = int32(ns.Int())
		}
	}
	if blob := r.Column(ec.hash); len(blob.B) > 0 && (blob.Kind == sqlite.Blob || blob.Kind == sqlite.Text) {
		h, err := hash.FromDigest(e.HashAlgorithm(), blob.B)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", e.Name, err)
		}
		e.Hash = h
	}
	return e, nil
}
