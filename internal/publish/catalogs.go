package publish

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/catalog/catwrite"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/repo"
)

// digestProperty records a digest of a catalog's content so that the next
// publish can reuse an unchanged nested catalog without comparing rows.
// Clients ignore unknown properties.
const digestProperty = "ucvm_content_digest"

// prevCatalog is a catalog of the previous revision.
type prevCatalog struct {
	hash     hash.Hash
	size     int64
	revision int64
	digest   string
}

type catalogs struct {
	store    *repo.Storage
	work     string
	now      int64
	ttl      int64
	revision uint64 // new root revision
	prev     map[string]prevCatalog
	stats    *Stats
	seq      int
}

// built is the result of building one catalog.
type built struct {
	ref    catalog.NestedRef
	totals catalog.Counters // self + subtree, for the parent's subtree_*
}

// build writes the catalog rooted at n (the repository root or a nested
// catalog root) after its nested catalogs, bottom-up.
func (b *catalogs) build(n *node) (built, error) {
	isRoot := n.e.Path == ""
	var rows []*node
	var nested []catalog.NestedRef
	subtree := catalog.Counters{}
	var collect func(d *node) error
	collect = func(d *node) error {
		rows = append(rows, d)
		for _, c := range d.children {
			if c.isDir() && c.nested {
				sub, err := b.build(c)
				if err != nil {
					return err
				}
				nested = append(nested, sub.ref)
				subtree.Add(sub.totals)
				rows = append(rows, c)
				continue
			}
			if c.isDir() {
				if err := collect(c); err != nil {
					return err
				}
			} else {
				rows = append(rows, c)
			}
		}
		return nil
	}
	if err := collect(n); err != nil {
		return built{}, err
	}
	b.setLinks(rows, n)
	self := countRows(rows, n, len(nested))
	totals := catalog.Counters{}
	totals.Add(self)
	totals.Add(subtree)
	digest := b.digest(rows, n, nested)
	if p, ok := b.prev[n.e.Path]; ok && !isRoot && p.digest == digest {
		atomic.AddInt64(&b.stats.CatalogsReused, 1)
		return built{ref: catalog.NestedRef{Path: n.e.Path, Hash: p.hash, Size: p.size}, totals: totals}, nil
	}
	ref, err := b.write(rows, n, nested, self, subtree, digest)
	return built{ref: ref, totals: totals}, err
}

// setLinks fills the hardlinks field: directories get 2 + subdirectories,
// hard-link groups (same link key within one directory) share a group id.
func (b *catalogs) setLinks(rows []*node, root *node) {
	group := uint64(0)
	for _, d := range rows {
		if !d.isDir() || (d.nested && d != root) {
			continue
		}
		subdirs := uint64(0)
		byKey := map[string][]*node{}
		for _, c := range d.children {
			switch {
			case c.isDir():
				subdirs++
			case c.linkKey != "" && c.e.IsRegular():
				byKey[c.linkKey] = append(byKey[c.linkKey], c)
			default:
				c.e.Hardlinks = 1
			}
		}
		d.e.Hardlinks = 2 + subdirs
		keys := make([]string, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			members := byKey[k]
			if len(members) == 1 {
				members[0].e.Hardlinks = 1
				continue
			}
			group++
			for _, m := range members {
				m.e.Hardlinks = group<<32 | uint64(len(members))
			}
		}
	}
}

func countRows(rows []*node, root *node, nested int) catalog.Counters {
	c := catalog.Counters{"nested": int64(nested)}
	for _, r := range rows {
		switch {
		case r.isDir():
			c["dir"]++
		case r.e.IsSymlink():
			c["symlink"]++
		case r.e.IsRegular():
			c["regular"]++
			c["file_size"] += r.e.Size
			if r.e.IsChunked() {
				c["chunked"]++
				c["chunked_size"] += r.e.Size
				c["chunks"] += int64(len(r.chunks))
			}
		default:
			c["special"]++
		}
		if len(r.xattrs) > 0 {
			c["xattr"]++
		}
	}
	return c
}

// flags computes the final flags of a row in the catalog rooted at root.
func flags(r, root *node) uint32 {
	switch {
	case r.isDir():
		f := uint32(catalog.FlagDir)
		if r == root && r.e.Path != "" {
			f |= catalog.FlagDirNestedRoot
		} else if r != root && r.nested {
			f |= catalog.FlagDirNestedMount
		}
		return f
	case r.e.IsSymlink():
		return catalog.FlagFile | catalog.FlagLink
	case r.e.IsRegular():
		return r.e.Flags
	}
	return catalog.FlagFile | catalog.FlagFileSpecial
}

func (b *catalogs) digest(rows []*node, root *node, nested []catalog.NestedRef) string {
	h := sha1.New()
	var buf [8]byte
	num := func(v int64) { binary.LittleEndian.PutUint64(buf[:], uint64(v)); h.Write(buf[:]) }
	str := func(s string) { num(int64(len(s))); h.Write([]byte(s)) }
	num(b.ttl)
	for _, r := range rows {
		e := r.e
		str(e.Path)
		num(int64(e.Mode))
		num(e.Size)
		num(e.Mtime)
		num(int64(e.MtimeNs))
		num(int64(e.UID))
		num(int64(e.GID))
		num(int64(flags(r, root)))
		num(int64(e.Hardlinks))
		str(e.Symlink)
		str(e.Hash.String())
		xb, _ := catalog.EncodeXattrs(r.xattrs)
		str(string(xb))
		for _, c := range r.chunks {
			num(c.Offset)
			num(c.Size)
			str(c.Hash.String())
		}
	}
	for _, n := range nested {
		str(n.Path)
		str(n.Hash.String())
		num(n.Size)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (b *catalogs) write(rows []*node, root *node, nested []catalog.NestedRef, self, subtree catalog.Counters, digest string) (catalog.NestedRef, error) {
	b.seq++
	path := filepath.Join(b.work, "catalog-"+strconv.Itoa(b.seq)+".db")
	w, err := catwrite.Create(path)
	if err != nil {
		return catalog.NestedRef{}, err
	}
	if err := b.fill(w, rows, root, nested, self, subtree, digest); err != nil {
		w.Abort()
		return catalog.NestedRef{}, err
	}
	if err := w.Close(); err != nil {
		return catalog.NestedRef{}, err
	}
	defer os.Remove(path)
	st, err := os.Stat(path)
	if err != nil {
		return catalog.NestedRef{}, err
	}
	h, err := b.store.PutFileCompressed(path, hash.SuffixCatalog)
	if err != nil {
		return catalog.NestedRef{}, fmt.Errorf("store catalog %s: %w", displayPath(root.e.Path), err)
	}
	atomic.AddInt64(&b.stats.Catalogs, 1)
	atomic.AddInt64(&b.stats.ObjectsWritten, 1)
	return catalog.NestedRef{Path: root.e.Path, Hash: h, Size: st.Size()}, nil
}

func (b *catalogs) fill(w *catwrite.Writer, rows []*node, root *node, nested []catalog.NestedRef, self, subtree catalog.Counters, digest string) error {
	isRoot := root.e.Path == ""
	for _, r := range rows {
		e := r.e
		e.Flags = flags(r, root)
		if err := w.Add(&e, r.xattrs, isRoot && r == root); err != nil {
			return err
		}
		if len(r.chunks) > 0 {
			if err := w.AddChunks(e.Path, r.chunks); err != nil {
				return err
			}
		}
	}
	for _, n := range nested {
		if err := w.AddNested(n); err != nil {
			return err
		}
	}
	prev, hasPrev := b.prev[root.e.Path]
	revision := int64(1)
	if hasPrev {
		revision = prev.revision + 1
	}
	if isRoot {
		revision = int64(b.revision)
	}
	props := [][2]string{{"schema", catalog.SchemaVersion}, {"schema_revision", strconv.Itoa(catalog.SchemaRevision)},
		{"revision", catalog.Itoa(revision)}, {"last_modified", catalog.Itoa(b.now)}, {digestProperty, digest}}
	if hasPrev {
		props = append(props, [2]string{"previous_revision", prev.hash.String()})
	}
	if isRoot {
		props = append(props, [2]string{"TTL", catalog.Itoa(b.ttl)})
	} else {
		props = append(props, [2]string{"root_prefix", root.e.Path})
	}
	for _, kv := range props {
		if err := w.SetProperty(kv[0], kv[1]); err != nil {
			return err
		}
	}
	return w.SetCounters(self, subtree)
}

func displayPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
