package fusefs

import (
	"context"
	"fmt"
	"time"
)

// scheduleCheck sets the next update check: the TTL, or the offline retry
// interval while offline.
func (f *FS) scheduleCheck() {
	s := f.current()
	d := f.ttl(s)
	f.mu.RLock()
	if f.offline && f.cfg.OfflineRetry < d {
		d = f.cfg.OfflineRetry
	}
	f.mu.RUnlock()
	f.nextCheck.Store(time.Now().Add(d).UnixNano())
}

// updatable reports whether this mount follows new revisions.
func (f *FS) updatable() bool {
	if f.open == nil {
		return false
	}
	s := f.current()
	f.mu.RLock()
	defer f.mu.RUnlock()
	return (f.cfg.AutoUpdate || f.offline) && (!s.info.Fixed || f.offline)
}

// maybeUpdate starts a background update when the TTL expired. Operations
// never wait for it: they keep serving the mounted revision meanwhile.
func (f *FS) maybeUpdate() {
	if time.Now().UnixNano() < f.nextCheck.Load() || !f.updatable() {
		return
	}
	if !f.updating.TryLock() {
		return
	}
	go func() {
		defer f.updating.Unlock()
		if _, err := f.update(); err != nil {
			f.log.Warn("update check failed, keeping the mounted revision", "err", err)
		}
	}()
}

// Remount checks for a new revision now and switches to it (ucvm talk
// remount). It returns the revision mounted afterwards.
func (f *FS) Remount() (uint64, error) {
	if f.open == nil || (f.current().info.Fixed && !f.Offline()) {
		return f.current().info.Revision, nil
	}
	f.updating.Lock()
	defer f.updating.Unlock()
	return f.update()
}

// update opens the newest revision and installs it if it is newer than the
// mounted one; never moves backwards (f.updating held).
func (f *FS) update() (uint64, error) {
	cur := f.current()
	defer f.scheduleCheck()
	ctx, cancel := context.WithTimeout(context.Background(), 2*f.cfg.OpTimeout)
	defer cancel()
	t, err := f.open(ctx, OpenRequest{MinRevision: cur.info.Revision, MinTimestamp: cur.info.Timestamp})
	if err != nil {
		return cur.info.Revision, fmt.Errorf("check %s for a new revision: %w", f.cfg.FQRN, err)
	}
	info := t.Info()
	wasOffline := f.Offline()
	// Back online: the followed tree replaces the cached fixed one even at
	// the same revision, so that later updates work again.
	newer := info.Revision > cur.info.Revision || (wasOffline && info.Revision == cur.info.Revision)
	if !newer {
		t.Close()
		f.setOffline(false)
		return cur.info.Revision, nil
	}
	if err := f.install(t); err != nil {
		t.Close()
		return cur.info.Revision, err
	}
	f.setOffline(false)
	f.log.Info("mounted new revision", "fqrn", info.FQRN, "revision", info.Revision, "previous", cur.info.Revision)
	if f.onSwitch != nil {
		f.onSwitch(info)
	}
	return info.Revision, nil
}

// Offline reports whether the mount serves a cached revision because no
// server was reachable.
func (f *FS) Offline() bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.offline
}

func (f *FS) setOffline(v bool) {
	f.mu.Lock()
	f.offline = v
	f.mu.Unlock()
}

// Info returns the mounted revision.
func (f *FS) Info() RepoInfo { return f.current().info }

// Generation counts revision switches (1 = the first mounted revision).
func (f *FS) Generation() uint64 { return f.current().gen }
