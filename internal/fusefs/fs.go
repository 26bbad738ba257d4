package fusefs

import (
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ucvm/ucvm/internal/cache"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/fetch"
	"github.com/ucvm/ucvm/internal/reader"
)

// Network is the download manager's failover state (magic xattrs, talk).
type Network interface {
	Info() fetch.Info
	SwitchHost()
	SwitchProxyGroup()
}

// Config are the settings of a mounted file system.
type Config struct {
	FQRN            string
	ClaimOwnership  bool  // every entry owned by the daemon's uid/gid
	UIDMap, GIDMap  IDMap // applied when not claiming ownership
	HideMagicXattrs bool  // magic xattrs not listed (still readable)
	AutoUpdate      bool  // follow new revisions when the TTL expires
	// Fixed: a tag or root hash is configured (no breadcrumb, no offline
	// fallback to the trunk's cached revision).
	Fixed bool
	// OpTimeout bounds every operation that may download (default 60 s).
	OpTimeout time.Duration
	// MaxTTL caps the catalog TTL (0: no cap).
	MaxTTL time.Duration
	// OfflineRetry is the re-check interval while offline (default 180 s).
	OfflineRetry time.Duration
	// Env resolves variables of variant symlinks (default os.LookupEnv).
	Env func(string) (string, bool)
	// BootLayerDir: record what the kernel reads and write a boot layer
	// of the mounted revision into this directory (bootlayer.go; "" off).
	BootLayerDir string
	// BootLayerAfter: write the boot layer this long after the mount
	// (default 10 min; the bootloader's shutdown asks for it earlier).
	BootLayerAfter time.Duration
	Network        Network      // optional
	Cache          *cache.Cache // optional
	Logger         *slog.Logger
}

// snapshot is one mounted revision; refs counts open files using it.
type snapshot struct {
	tree    Tree
	info    RepoInfo
	gen     uint64
	root    *Node
	refs    atomic.Int64
	retired atomic.Bool
	owner   *FS
}

// FS is the mounted file system state shared by all nodes.
type FS struct {
	cfg     Config
	open    Opener
	log     *slog.Logger
	started time.Time

	mu        sync.RWMutex
	cur       *snapshot
	gen       uint64
	offline   bool
	live      map[uint64]*snapshot // revisions not closed yet, by generation
	roots     map[uint64]hash.Hash // root catalog of every generation mounted
	contents  *contents            // files read without a handle
	listings  *listings            // recent directory listings, for lookups
	ahead     *seqAhead            // read-ahead across the files of a directory
	noOpen    atomic.Bool          // the kernel sends no OPEN/RELEASE (reads by inode)
	ops       opCounts             // requests by kind
	nextCheck atomic.Int64         // unix nanoseconds
	updating  sync.Mutex
	onSwitch  func(RepoInfo)
	record    *bootRecord // nil: no boot layer configured
	layerMu   sync.Mutex  // one layer writer at a time
}

// genShift separates revision generations in inode numbers.
const genShift = 40

func (c *Config) defaults() {
	if c.OpTimeout <= 0 {
		c.OpTimeout = 60 * time.Second
	}
	if c.OfflineRetry <= 0 {
		c.OfflineRetry = 180 * time.Second
	}
	if c.Env == nil {
		c.Env = os.LookupEnv
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.BootLayerAfter <= 0 {
		c.BootLayerAfter = 10 * time.Minute
	}
}

// NewFS serves tree; open is used for updates (nil: never update).
func NewFS(cfg Config, tree Tree, open Opener) (*FS, error) {
	cfg.defaults()
	f := &FS{cfg: cfg, open: open, log: cfg.Logger, started: time.Now(),
		live: map[uint64]*snapshot{}, roots: map[uint64]hash.Hash{}, contents: newContents(), listings: newListings(), ahead: newSeqAhead()}
	if err := f.install(tree); err != nil {
		return nil, err
	}
	if cfg.BootLayerDir != "" {
		// Record unless the revision has its layer of files already; a
		// boot pack's image is turned into one at shutdown.
		info := newLayerInfo(cfg.BootLayerDir, f.cur)
		_, isImage := imageLayer(info)
		f.record = newBootRecord(!info.Existed || isImage)
	}
	return f, nil
}

// install makes tree the current revision.
func (f *FS) install(tree Tree) error {
	ctx, cancel := context.WithTimeout(context.Background(), f.cfg.OpTimeout)
	defer cancel()
	root, err := tree.Lookup(ctx, "")
	if err != nil {
		return err
	}
	f.mu.Lock()
	f.gen++
	s := &snapshot{tree: tree, info: tree.Info(), gen: f.gen, root: root, owner: f}
	f.live[s.gen] = s
	f.roots[s.gen] = s.info.RootHash
	old := f.cur
	f.cur = s
	f.mu.Unlock()
	f.scheduleCheck()
	if old != nil {
		old.retired.Store(true)
		old.maybeClose()
	}
	return nil
}

// maybeClose closes a retired revision nobody uses; under the FS lock, so
// that acquireGen never returns a closed revision.
func (s *snapshot) maybeClose() {
	if !s.retired.Load() || s.refs.Load() != 0 {
		return
	}
	f := s.owner
	f.mu.Lock()
	closeIt := s.refs.Load() == 0 && s.retired.CompareAndSwap(true, false)
	if closeIt {
		delete(f.live, s.gen)
	}
	f.mu.Unlock()
	if closeIt {
		s.tree.Close()
	}
}

// current returns the mounted revision.
func (f *FS) current() *snapshot {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.cur
}

// ttl is the effective kernel cache lifetime.
func (f *FS) ttl(s *snapshot) time.Duration {
	t := s.info.TTL
	if t <= 0 {
		t = 240 * time.Second
	}
	if f.cfg.MaxTTL > 0 && t > f.cfg.MaxTTL {
		t = f.cfg.MaxTTL
	}
	return t
}

// opCtx bounds an operation by OpTimeout. Kernel interrupts (a signal to
// the reading thread, e.g. Go's preemption SIGURG) do not cancel it: a
// download shared by several readers must not fail for all of them because
// one was interrupted, and the deadline still ends every operation.
func (f *FS) opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), f.cfg.OpTimeout)
}

// errno maps reader errors to FUSE errors: ENOENT for missing entries, EIO
// for everything else (network, verification, timeouts).
func (f *FS) errno(op, path string, err error) syscall.Errno {
	if err == nil {
		return 0
	}
	if errors.Is(err, reader.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		return syscall.ENOENT
	}
	f.log.Warn("I/O error", "op", op, "path", path, "err", err)
	return syscall.EIO
}

// errnoIO maps errors of reading content: always EIO (a missing object on
// the server is an I/O error, not a missing file).
func (f *FS) errnoIO(op, path string, err error) syscall.Errno {
	f.log.Warn("I/O error", "op", op, "path", path, "err", err)
	return syscall.EIO
}

// bounded runs fn in its own goroutine and gives up when ctx ends, so a
// call that ignores its context still cannot hang a FUSE request.
func bounded[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	type res struct {
		v   T
		err error
	}
	ch := make(chan res, 1)
	go func() {
		v, err := fn()
		ch <- res{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}
