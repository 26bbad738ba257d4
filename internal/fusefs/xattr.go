package fusefs

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// Version is reported by user.version.
const Version = "2.12.0.ucvm"

// magicGlobal are the repository-wide magic attributes (any entry).
var magicGlobal = []string{"fqrn", "revision", "root_hash", "tag", "timestamp", "expires",
	"host", "host_list", "proxy", "proxy_list", "pid", "nclg", "uptime", "version",
	"ndownload", "rx", "nioerr", "inode_max", "offline"}

// magicNames returns the magic attributes that exist for an entry.
func magicNames(e *Node) []string {
	names := append([]string(nil), magicGlobal...)
	if !e.Hash.IsZero() {
		names = append(names, "hash", "lhash")
	}
	if e.IsRegular() {
		names = append(names, "chunks", "chunk_list", "compression", "direct_io", "external_file")
	}
	if e.IsSymlink() {
		names = append(names, "rawlink") // readable as xfsroot.rawlink
	}
	return names
}

// magic computes one magic attribute; ok is false when it does not exist.
func (f *FS) magic(ctx context.Context, s *snapshot, e *Node, name string) (string, bool, error) {
	info := s.info
	switch name {
	case "fqrn":
		return info.FQRN, true, nil
	case "revision":
		return strconv.FormatUint(info.Revision, 10), true, nil
	case "root_hash":
		return info.RootHash.String(), true, nil
	case "tag":
		return info.Tag, true, nil
	case "timestamp":
		return strconv.FormatInt(info.Timestamp, 10), true, nil
	case "expires":
		if info.Fixed {
			return "never (fixed root catalog)", true, nil
		}
		left := time.Until(time.Unix(0, f.nextCheck.Load()))
		return strconv.FormatInt(int64(max(left, 0)/time.Minute), 10), true, nil
	case "pid":
		return strconv.Itoa(os.Getpid()), true, nil
	case "nclg":
		return strconv.Itoa(s.tree.CatalogCount()), true, nil
	case "uptime":
		return strconv.FormatInt(int64(time.Since(f.started)/time.Minute), 10), true, nil
	case "version":
		return Version, true, nil
	case "inode_max":
		return strconv.FormatUint((s.gen+1)<<genShift-1, 10), true, nil
	case "offline":
		return map[bool]string{true: "1", false: "0"}[f.Offline()], true, nil
	case "host", "host_list", "proxy", "proxy_list", "ndownload", "rx", "nioerr":
		return f.netMagic(name), true, nil
	case "rawlink":
		return e.Symlink, e.IsSymlink(), nil
	}
	return f.entryMagic(ctx, s, e, name)
}

// netMagic answers the download manager's attributes.
func (f *FS) netMagic(name string) string {
	if f.cfg.Network == nil {
		return map[string]string{"proxy": "DIRECT"}[name] // no download manager (tests)
	}
	i := f.cfg.Network.Info()
	switch name {
	case "host":
		return i.CurrentHost()
	case "host_list":
		return strings.Join(i.HostList(), ";")
	case "proxy":
		return i.Proxy
	case "proxy_list":
		var b strings.Builder
		for _, g := range i.ProxyGroups {
			for _, p := range g {
				b.WriteString(p + "\n")
			}
		}
		return b.String()
	case "ndownload":
		return strconv.FormatInt(i.Downloads, 10)
	case "rx":
		return strconv.FormatInt(i.Bytes/1024, 10)
	}
	return strconv.FormatInt(i.Failures, 10)
}

// entryMagic answers the per-file attributes.
func (f *FS) entryMagic(ctx context.Context, s *snapshot, e *Node, name string) (string, bool, error) {
	reg := e.IsRegular()
	switch name {
	case "hash":
		return e.Hash.String(), !e.Hash.IsZero(), nil
	case "lhash":
		if e.Hash.IsZero() {
			return "", false, nil
		}
		v, err := f.localHash(ctx, s, e)
		return v, true, err
	case "compression":
		return map[bool]string{true: "zlib", false: "none"}[e.Compressed()], reg, nil
	case "direct_io":
		return map[bool]string{true: "1", false: "0"}[e.Flags&0x10000 != 0], reg, nil
	case "external_file":
		return map[bool]string{true: "1", false: "0"}[e.Flags&0x80 != 0], reg, nil
	case "chunks", "chunk_list":
		if !reg {
			return "", false, nil
		}
		return f.chunkMagic(ctx, s, e, name)
	}
	return "", false, nil
}

func (f *FS) chunkMagic(ctx context.Context, s *snapshot, e *Node, name string) (string, bool, error) {
	if !e.IsChunked() {
		if name == "chunks" {
			return "1", true, nil
		}
		return fmt.Sprintf("hash,offset,size\n%s,0,%d\n", e.Hash.String(), e.Size), true, nil
	}
	chunks, err := s.tree.Chunks(ctx, e)
	if err != nil {
		return "", true, err
	}
	if name == "chunks" {
		return strconv.Itoa(len(chunks)), true, nil
	}
	var b strings.Builder
	b.WriteString("hash,offset,size\n")
	for _, c := range chunks {
		fmt.Fprintf(&b, "%s,%d,%d\n", c.Hash.String(), c.Offset, c.Size)
	}
	return b.String(), true, nil
}

// localHash hashes the verified local content with the entry's algorithm.
func (f *FS) localHash(ctx context.Context, s *snapshot, e *Node) (string, error) {
	file, err := s.tree.Open(ctx, e)
	if err != nil {
		return "", err
	}
	defer file.Close()
	h := hash.New(e.HashAlgorithm())
	if _, err := io.Copy(h, io.NewSectionReader(file, 0, max(e.Size, 0))); err != nil {
		return "", err
	}
	return hash.Hash{Alg: e.HashAlgorithm(), Digest: h.Sum(nil)}.String(), nil
}

// xattrSnapshot returns the entry of n with the revision to query, kept
// open until the returned release is called.
func (n *node) xattrSnapshot() (*Node, *snapshot, func()) {
	s := n.fsys.acquire()
	e := n.ent
	if e == nil {
		e = s.root
	}
	return e, s, func() { n.fsys.releaseSnap(s) }
}

func (n *node) Getxattr(ctx context.Context, attr string, dest []byte) (uint32, syscall.Errno) {
	n.fsys.ops.getxattrs.Add(1)
	f := n.fsys
	e, s, release := n.xattrSnapshot()
	defer release()
	ctx, cancel := f.opCtx(ctx)
	defer cancel()
	val, ok, err := []byte(nil), false, error(nil)
	if attr == "xfsroot.rawlink" { // user.* is not readable on symlinks (VFS rule)
		attr = "user.rawlink"
	}
	if name, isUser := strings.CutPrefix(attr, "user."); isUser {
		var v string
		v, ok, err = bounded3(ctx, func() (string, bool, error) { return f.magic(ctx, s, e, name) })
		val = []byte(v)
	}
	if err != nil {
		return 0, f.errno("getxattr", n.path, err)
	}
	if !ok {
		published, err := f.published(ctx, s, e)
		if err != nil {
			return 0, f.errno("getxattr", n.path, err)
		}
		if val, ok = published[attr]; !ok {
			return 0, syscall.ENODATA
		}
	}
	if len(dest) == 0 {
		return uint32(len(val)), 0
	}
	if len(dest) < len(val) {
		return uint32(len(val)), syscall.ERANGE
	}
	return uint32(copy(dest, val)), 0
}

func (n *node) Listxattr(ctx context.Context, dest []byte) (uint32, syscall.Errno) {
	f := n.fsys
	e, s, release := n.xattrSnapshot()
	defer release()
	ctx, cancel := f.opCtx(ctx)
	defer cancel()
	published, err := f.published(ctx, s, e)
	if err != nil {
		return 0, f.errno("listxattr", n.path, err)
	}
	var names []string
	for k := range published {
		names = append(names, k)
	}
	sort.Strings(names)
	if !f.cfg.HideMagicXattrs && n.ent == nil {
		for _, m := range magicNames(e) {
			names = append(names, "user."+m)
		}
	}
	var buf []byte
	for _, k := range names {
		buf = append(append(buf, k...), 0)
	}
	if len(dest) == 0 {
		return uint32(len(buf)), 0
	}
	if len(dest) < len(buf) {
		return uint32(len(buf)), syscall.ERANGE
	}
	return uint32(copy(dest, buf)), 0
}

// published returns the entry's own extended attributes.
func (f *FS) published(ctx context.Context, s *snapshot, e *Node) (map[string][]byte, error) {
	if !e.HasXattrs {
		return nil, nil
	}
	return bounded(ctx, func() (map[string][]byte, error) { return s.tree.Xattrs(ctx, e) })
}

func bounded3[A, B any](ctx context.Context, fn func() (A, B, error)) (A, B, error) {
	type pair struct {
		a A
		b B
	}
	p, err := bounded(ctx, func() (pair, error) {
		a, b, err := fn()
		return pair{a, b}, err
	})
	return p.a, p.b, err
}
