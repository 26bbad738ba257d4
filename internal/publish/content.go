package publish

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/object"
	"github.com/ucvm/ucvm/internal/publish/chunk"
	"github.com/ucvm/ucvm/internal/repo"
)

// prevFile is what the previous revision recorded for a regular file; a
// file with identical size, mtime (seconds and, when both sides know them,
// nanoseconds) and mode is not read again.
type prevFile struct {
	size, mtime int64
	mtimeNs     int32 // -1 when the previous publisher did not record it
	mode        uint32
	flags       uint32
	hash        hash.Hash
	chunks      []catalog.Chunk
}

// contents turns file contents into stored objects.
type contents struct {
	store    *repo.Storage
	params   chunk.Params
	chunking bool
	alg      hash.Algorithm
	compress bool
	prev     map[string]*prevFile
	stats    *Stats
	bufs     sync.Pool
}

// reuse takes hash and chunks from the previous revision when the quick
// check (size, mtime, mode) passes and the objects still exist.
func (c *contents) reuse(n *node) bool {
	p := c.prev[n.e.Path]
	// a boot pack is read again: its piece digests are computed as it is read
	if p == nil || isBootPack(n) || p.size != n.e.Size || p.mtime != n.e.Mtime || p.mode != n.e.Mode {
		return false
	}
	if p.mtimeNs >= 0 && n.e.MtimeNs >= 0 && p.mtimeNs != n.e.MtimeNs {
		return false // rewritten within the same second
	}
	n.e.Flags = p.flags
	n.e.Hash = p.hash
	n.chunks = p.chunks
	n.hashed = true
	atomic.AddInt64(&c.stats.FilesReused, 1)
	return true
}

// process reads r (the content of n) and stores its objects.
func (c *contents) process(n *node, r io.Reader) error {
	var got int64
	var err error
	if isBootPack(n) && n.e.Size > bootpack.PieceSize {
		got, err = c.processChunked(n, r) // always, also without chunking: streamed in pieces
	} else if c.chunking && c.params.Candidate(n.e.Size) {
		got, err = c.processChunked(n, r)
	} else {
		got, err = c.processWhole(n, r)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", n.e.Path, err)
	}
	if got != n.e.Size {
		return fmt.Errorf("%s: read %d bytes, expected %d: the file changed while publishing (publish again)", n.e.Path, got, n.e.Size)
	}
	n.hashed = true
	atomic.AddInt64(&c.stats.Files, 1)
	atomic.AddInt64(&c.stats.Bytes, got)
	return nil
}

func (c *contents) processWhole(n *node, r io.Reader) (int64, error) {
	buf, _ := c.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer c.bufs.Put(buf)
	buf.Reset()
	got, err := io.Copy(buf, io.LimitReader(r, n.e.Size+1))
	if err != nil {
		return got, err
	}
	z := c.compressFor(n)
	h, err := c.put(buf.Bytes(), hash.SuffixNone, z)
	if err != nil {
		return got, err
	}
	if isBootPack(n) {
		n.digests = [][]byte{bootpack.PieceDigest(buf.Bytes())}
	}
	n.e.Hash = h
	n.e.Flags = catalog.FlagFile | catalog.ContentFlags(c.alg, z)
	return got, nil
}

func (c *contents) processChunked(n *node, r io.Reader) (int64, error) {
	var got int64
	var chunks []catalog.Chunk
	z := c.compressFor(n)
	split := func(r io.Reader, fn func(chunk.Chunk, []byte) error) error { return chunk.Split(r, c.params, fn) }
	if isBootPack(n) {
		split = func(r io.Reader, fn func(chunk.Chunk, []byte) error) error {
			return chunk.SplitFixed(r, bootpack.PieceSize, fn)
		}
	}
	var digests [][]byte
	err := split(io.LimitReader(r, n.e.Size+1), func(ch chunk.Chunk, data []byte) error {
		got += int64(len(data))
		if isBootPack(n) {
			digests = append(digests, bootpack.PieceDigest(data))
		}
		if ch.Sole() {
			h, err := c.put(data, hash.SuffixNone, z)
			n.e.Hash = h
			return err
		}
		h, err := c.put(data, hash.SuffixPartial, z)
		chunks = append(chunks, catalog.Chunk{Offset: ch.Offset, Size: ch.Size, Hash: h})
		return err
	})
	if err != nil {
		return got, err
	}
	if isBootPack(n) {
		if len(digests) > bootpack.MaxPieces {
			return got, fmt.Errorf("a boot pack of %d MiB is more than %d pieces of %d MiB; pack fewer files",
				n.e.Size>>20, bootpack.MaxPieces, bootpack.PieceSize>>20)
		}
		n.digests = digests
	}
	n.e.Flags = catalog.FlagFile | catalog.ContentFlags(c.alg, z)
	if len(chunks) > 0 {
		n.e.Hash = hash.Hash{}
		n.e.Flags |= catalog.FlagFileChunk
		n.chunks = chunks
		atomic.AddInt64(&c.stats.Chunks, int64(len(chunks)))
	}
	return got, nil
}

// compressFor: files are zlib-compressed unless compression is off or
// the file is compressed already by design (a boot pack, see package
// bootpack: zlib over its lz4 image would cost every reader an inflate
// for nothing).
func (c *contents) compressFor(n *node) bool {
	return c.compress && !isBootPack(n)
}

// A boot pack is stored in pieces of bootpack.PieceSize: the client
// verifies one piece at a time in memory and writes it to the boot
// layer's image (an 18 MB pack as one object was an 18 MB buffer; 256 KiB
// pieces cost more in requests than they saved, docs/benchmarks.md). Each
// piece's BLAKE3 digest goes into the pack's catalog entry
// (setPieceDigests), which a client verifies instead of SHA-1.

// setPieceDigests records a pack's piece digests (computed into the
// content node's digests) as attributes of its tree node n, replacing any
// it had in the source tree.
func setPieceDigests(n *node, digests [][]byte) {
	x := make(map[string][]byte, len(n.xattrs)+len(digests))
	for k, v := range n.xattrs {
		if !strings.HasPrefix(k, bootpack.DigestXattrPrefix) {
			x[k] = v
		}
	}
	for i, d := range digests {
		x[bootpack.DigestXattr(i)] = d
	}
	n.xattrs = x
}

func isBootPack(n *node) bool { return path.Base(n.e.Path) == bootpack.FileName }

// put compresses (if compress), hashes and stores one object.
func (c *contents) put(data []byte, suffix byte, compress bool) (hash.Hash, error) {
	stored := data
	if compress {
		stored = object.Compress(data)
	}
	h := hash.Sum(c.alg, stored)
	written, err := c.store.PutObject(h, suffix, stored)
	if err != nil {
		return h, err
	}
	if written {
		atomic.AddInt64(&c.stats.ObjectsWritten, 1)
		atomic.AddInt64(&c.stats.BytesWritten, int64(len(stored)))
	}
	return h, nil
}
