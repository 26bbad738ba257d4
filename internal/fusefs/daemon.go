package fusefs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/ucvm/ucvm/internal/cache"
	"github.com/ucvm/ucvm/internal/fetch"
	"github.com/ucvm/ucvm/internal/reader"
)

// MountConfig configures Mount.
type MountConfig struct {
	Config
	Mountpoint string
	Open       Opener
	// NoControl disables the control socket.
	NoControl bool
	// AllowOther lets other users access the mount (default true for root).
	AllowOther bool
	Debug      bool
}

// Mounted is a running mount.
type Mounted struct {
	FS         *FS
	server     *fuse.Server
	control    *controlServer
	cfg        MountConfig
	layerTimer *time.Timer
}

// ErrOfflineNoCache: no server reachable and nothing cached to mount.
var ErrOfflineNoCache = errors.New("repository unreachable and not in the local cache")

// Mount opens the repository (or, with no server reachable, the revision
// recorded in the cache's breadcrumb), mounts it and starts the control
// socket. It returns once the mount is ready.
func Mount(ctx context.Context, mc MountConfig) (*Mounted, error) {
	mc.Config.defaults()
	if os.Getenv("GOGC") == "" {
		// Every download allocates its object once; the live heap is a
		// few MB, so collecting less often costs little memory and saves
		// a tenth of the daemon's CPU on a cold read.
		debug.SetGCPercent(400)
	}
	tree, offline, err := openInitial(ctx, mc)
	if err != nil {
		return nil, err
	}
	f, err := NewFS(mc.Config, tree, mc.Open)
	if err != nil {
		tree.Close()
		return nil, fmt.Errorf("mount %s: %w", mc.FQRN, err)
	}
	f.offline = offline
	f.onSwitch = func(i RepoInfo) { recordRevision(mc.Cache, i, f.log) }
	if offline {
		f.scheduleCheck()
	} else {
		recordRevision(mc.Cache, f.Info(), f.log)
	}
	m := &Mounted{FS: f, cfg: mc}
	if err := m.mount(); err != nil {
		tree.Close()
		return nil, err
	}
	if !mc.NoControl && mc.Cache != nil {
		m.control, err = startControl(m, SocketPath(mc.Cache.Dir(), mc.FQRN))
		if err != nil {
			m.Unmount()
			return nil, err
		}
	}
	if f.record.recording() {
		m.layerTimer = time.AfterFunc(f.cfg.BootLayerAfter, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			if _, err := f.WriteBootLayer(ctx); err != nil {
				f.log.Warn("boot layer not written", "err", err)
			}
		})
	}
	return m, nil
}

// openInitial opens the newest revision, falling back to the cached one
// named by the breadcrumb when the servers cannot be reached.
func openInitial(ctx context.Context, mc MountConfig) (Tree, bool, error) {
	req := OpenRequest{}
	var bc cache.Breadcrumb
	var haveBC bool
	if mc.Cache != nil && !mc.Fixed {
		if b, err := mc.Cache.ReadBreadcrumb(mc.FQRN); err == nil {
			bc, haveBC = b, true
			req.MinRevision, req.MinTimestamp = b.Revision, b.Timestamp
		}
	}
	tree, err := mc.Open(ctx, req)
	if err == nil {
		return tree, false, nil
	}
	if errors.Is(err, reader.ErrBadSignature) || errors.Is(err, reader.ErrExpired) || !haveBC {
		if errors.Is(err, fetch.ErrOffline) {
			return nil, false, fmt.Errorf("%w: %s (check CVMFS_SERVER_URL and CVMFS_HTTP_PROXY): %w", ErrOfflineNoCache, mc.FQRN, err)
		}
		return nil, false, err
	}
	mc.Logger.Warn("servers unreachable or older than the cache, mounting the cached revision (offline mode)",
		"fqrn", mc.FQRN, "revision", bc.Revision, "root", bc.RootHash.String(), "err", err)
	tree, oerr := mc.Open(ctx, OpenRequest{RootHash: bc.RootHash})
	if oerr != nil {
		return nil, false, fmt.Errorf("%w: %s: %w (offline mount from cache: %v)", ErrOfflineNoCache, mc.FQRN, err, oerr)
	}
	return tree, true, nil
}

// recordRevision writes the breadcrumb of a followed revision and releases
// the catalogs of older revisions for eviction.
func recordRevision(c *cache.Cache, i RepoInfo, log interface{ Warn(string, ...any) }) {
	if c == nil || i.RootHash.IsZero() {
		return
	}
	if !i.Fixed {
		b := cache.Breadcrumb{RootHash: i.RootHash, Timestamp: i.Timestamp, Revision: i.Revision}
		if err := c.WriteBreadcrumb(i.FQRN, b); err != nil {
			log.Warn("cannot write breadcrumb", "err", err)
		}
	}
	c.UnpinCatalogs()
}

func (m *Mounted) mount() error {
	f := m.FS
	ttl := f.ttl(f.current())
	root := &node{fsys: f}
	opts := &fs.Options{
		EntryTimeout:    &ttl,
		AttrTimeout:     &ttl,
		NegativeTimeout: &ttl,
		MountOptions: fuse.MountOptions{
			FsName:        m.cfg.FQRN,
			Name:          "cvmfs2",
			DisableSplice: true, // needed across switch_root (lab notes, pitfall 4)
			// root mounts with mount(2) (no fusermount3 in an initramfs);
			// others go through fusermount3 where the system allows it
			DirectMount:  os.Geteuid() == 0,
			AllowOther:   m.cfg.AllowOther,
			MaxReadAhead: 1 << 20,
			MaxWrite:     1 << 20,
			Options:      []string{"ro", "default_permissions"},
			Debug:        m.cfg.Debug,
			// The kernel keeps symlink targets in the page cache: an inode
			// belongs to one revision, its target never changes (and
			// variant symlinks expand with the daemon's fixed environment).
			// Paths through /lib -> usr/lib and the like no longer cost a
			// READLINK each: 3,149 of 5,100 requests of a Debian boot.
			EnableSymlinkCaching: true,
		},
	}
	server, err := fs.Mount(m.cfg.Mountpoint, root, opts)
	if err != nil {
		return fmt.Errorf("mount %s on %s: %w (is /dev/fuse available and the mount point an empty directory?)", m.cfg.FQRN, m.cfg.Mountpoint, err)
	}
	m.server = server
	// Kernels offering FUSE_NO_OPEN_SUPPORT get ENOSYS for OPEN: no OPEN
	// and RELEASE round trips per file, reads by inode (content.go).
	f.noOpen.Store(server.KernelSettings().Flags64()&fuse.CAP_NO_OPEN_SUPPORT != 0)
	return nil
}

// Wait blocks until the file system is unmounted (umount, fusermount3 -u,
// or Unmount), then releases everything.
func (m *Mounted) Wait() {
	m.server.Wait()
	m.close()
}

// Unmount unmounts; when the mount is busy it detaches it lazily.
func (m *Mounted) Unmount() error {
	var err error
	for i := 0; i < 3; i++ {
		if err = m.server.Unmount(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	if lerr := syscall.Unmount(m.cfg.Mountpoint, syscall.MNT_DETACH); lerr == nil {
		return nil
	}
	return fmt.Errorf("unmount %s: %w", m.cfg.Mountpoint, err)
}

func (m *Mounted) close() {
	if m.layerTimer != nil {
		m.layerTimer.Stop()
	}
	if m.control != nil {
		m.control.close()
	}
	m.FS.closeContents()
	if s := m.FS.current(); s != nil {
		s.retired.Store(true)
		s.maybeClose()
	}
}
