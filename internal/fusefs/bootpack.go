package fusefs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/reader"
)

// ErrNoBootPack: the mounted revision has no boot pack at that path.
var ErrNoBootPack = errors.New("the mounted revision has no boot pack there")

// ErrPackStale: no member of the pack matches the mounted revision; no
// layer is written, so the boot records one as without a pack.
var ErrPackStale = errors.New("no member of the boot pack matches the mounted revision")

// streamer is implemented by trees that can hand out verified content
// without caching it (reader.Repo).
type streamer interface {
	Stream(ctx context.Context, n *Node, fn func([]byte) error) error
}

// ApplyBootPack unpacks the boot pack at packPath (a repository path, e.g.
// /os/.ucvm_bootpack) into the boot layer of the mounted revision, unless
// that layer exists. Members are copied only where they match the
// revision (see package bootpack); the layer appears complete or not at
// all, as one written at shutdown.
func (f *FS) ApplyBootPack(ctx context.Context, packPath string) (BootLayerInfo, error) {
	dir := f.cfg.BootLayerDir
	if dir == "" {
		return BootLayerInfo{}, ErrNoBootLayer
	}
	f.layerMu.Lock()
	defer f.layerMu.Unlock()
	s := f.acquire()
	defer f.releaseSnap(s)
	info := newLayerInfo(dir, s)
	if info.Existed {
		return info, nil
	}
	st, ok := s.tree.(streamer)
	if !ok {
		return info, errors.New("boot pack: this mount cannot stream content")
	}
	n, err := s.tree.Lookup(ctx, packPath)
	if errors.Is(err, reader.ErrNotFound) || errors.Is(err, fs.ErrNotExist) || err == nil && !n.IsRegular() {
		return info, fmt.Errorf("%w: %s", ErrNoBootPack, packPath)
	} else if err != nil {
		return info, fmt.Errorf("boot pack: %w", err)
	}
	t0 := time.Now()
	err = f.buildLayer(s, &info, func(w *layerWriter) error {
		if err := w.unpack(ctx, st, n, path.Dir(packPath)); err != nil {
			return err
		}
		if info.Files+info.Symlinks == 0 {
			return ErrPackStale // an empty layer would stop the recording for good
		}
		return nil
	})
	if err != nil {
		return info, fmt.Errorf("boot pack %s: %w", packPath, err)
	}
	if f.record != nil {
		f.record.stop() // the revision has its layer now
	}
	f.log.Info("boot pack unpacked", "dir", info.Dir, "files", info.Files, "bytes", info.Bytes,
		"symlinks", info.Symlinks, "skipped", info.Skipped, "seconds", time.Since(t0).Seconds())
	return info, nil
}

// unpack streams the verified pack through the zstd and tar readers into
// the layer. Only verified objects reach the readers (reader.Stream).
func (w *layerWriter) unpack(ctx context.Context, st streamer, n *Node, base string) error {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw.CloseWithError(st.Stream(ctx, n, func(b []byte) error {
			_, err := pw.Write(b)
			return err
		}))
	}()
	defer func() { pr.Close(); <-done }() // an early stop unblocks the writer
	br, err := bootpack.NewReader(pr)
	if err != nil {
		return err
	}
	defer br.Close()
	for {
		m, err := br.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := w.addPacked(ctx, path.Join(base, m.Name), m, br); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
	}
}

// addPacked copies one member if the revision has the same thing at p.
func (w *layerWriter) addPacked(ctx context.Context, p string, m bootpack.Member, content io.Reader) error {
	e, err := w.s.tree.Lookup(ctx, p)
	if err != nil || e.HasXattrs || !w.matches(ctx, e, m) {
		w.info.Skipped++
		return nil
	}
	if err := w.ensureDir(ctx, path.Dir(p)); err != nil {
		return err
	}
	if m.IsLink {
		if err := os.Symlink(e.Symlink, w.root+p); errors.Is(err, fs.ErrExist) {
			w.info.Skipped++
			return nil
		} else if err != nil {
			return err
		}
		w.info.Symlinks++
		return w.setAttrs(w.root+p, e, true)
	}
	var sf unix.Statfs_t
	if err := unix.Statfs(w.root, &sf); err == nil && int64(sf.Bavail)*sf.Bsize < m.Size+layerReserve {
		return fmt.Errorf("%w: %d MB free", errNoSpace, int64(sf.Bavail)*sf.Bsize>>20)
	}
	out, err := os.OpenFile(w.root+p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if errors.Is(err, fs.ErrExist) {
		w.info.Skipped++
		return nil
	} else if err != nil {
		return err
	}
	_, err = io.CopyBuffer(struct{ io.Writer }{out}, io.LimitReader(content, m.Size), w.buf())
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if st, serr := os.Stat(w.root + p); err == nil && (serr != nil || st.Size() != m.Size) {
		err = fmt.Errorf("short member: %v", serr)
	}
	if err != nil {
		return err
	}
	w.info.Files++
	w.info.Bytes += m.Size
	return w.setAttrs(w.root+p, e, false)
}

// buf is the copy buffer of unpack: 1 MiB, so that a file takes few write
// calls (32 KiB ones cost measurably more under emulation).
func (w *layerWriter) buf() []byte {
	if w.copyBuf == nil {
		w.copyBuf = make([]byte, 1<<20)
	}
	return w.copyBuf
}

// matches reports whether the revision's entry is what the member copies.
func (w *layerWriter) matches(ctx context.Context, e *Node, m bootpack.Member) bool {
	if m.IsLink {
		return e.IsSymlink() && e.Symlink == m.Link && !strings.Contains(e.Symlink, "$(")
	}
	if !e.IsRegular() || e.LinkCount() > 1 || e.Size != m.Size {
		return false
	}
	chunks, err := w.s.tree.Chunks(ctx, e)
	return err == nil && bootpack.Identity(e.Hash, chunks) == m.ID
}
