package boot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/userdata"
)

func (b *Boot) stepContext() {
	b.Con.Start("Contextualizing VM...")
	b.source = userdata.SrcNone
	found, err := userdata.FindOnMedia(Media(b.media))
	if err != nil {
		b.logf("context", "media: %v", err)
		b.Con.Warn("user data on a medium is malformed: %v (boot continues without it)", err)
	}
	if found == nil && b.net.Iface != "" && b.Cmd.Get("ucvm.metadata") != "off" {
		cfg := userdata.MetadataConfig{}
		cfg.CloudStack = []string{userdata.CloudStackURL}
		if b.net.ServerID != nil && !b.net.ServerID.IsUnspecified() {
			cfg.CloudStack = append(cfg.CloudStack, "http://"+b.net.ServerID.String())
		}
		found, err = userdata.FindOnNetwork(context.Background(), cfg)
		b.logf("context", "metadata services: found=%v err=%v", found != nil, err)
	}
	if found == nil {
		b.Con.Result("%s", b.source)
		return
	}
	b.source = found.Source
	b.logf("context", "user data from %s (%s), %d bytes", found.Source, found.Device, len(found.Data))
	p, err := userdata.Parse(found.Data)
	b.userData = p.Raw
	b.ctx = p.Context
	b.glidein = p.Glidein != nil
	b.Con.Result("%s", b.source)
	if err != nil {
		b.Con.Warn("malformed user data from %s: %v (boot continues without the [ucernvm-begin] settings)", b.source, err)
		b.logf("context", "parse: %v", err)
	}
	if b.glidein {
		b.Con.Info("glideinWMS user data detected")
	}
	for _, e := range b.ctx.Entries() {
		b.logf("context", "%s=%q", e.Key, e.Value)
	}
}

func (b *Boot) stepExtraContext() {
	b.Con.Start("Looking for extra context...")
	var ms []userdata.Medium
	for _, m := range b.media {
		ms = append(ms, m.Medium)
	}
	ex, err := userdata.FindExtra(ms)
	if err != nil {
		b.logf("context", "extra: %v", err)
	}
	if len(ex.Devices) == 0 {
		b.Con.Result("(none)")
		return
	}
	b.extraData = ex.UserData
	if len(ex.UserData) > 0 {
		b.extraCtx, _ = userdata.ParseBlock(ex.UserData)
	}
	if ex.Pickup != "" {
		b.pickup = "/run/ucvm/pickup.tar.gz"
		if err := copyFile(ex.Pickup, b.pickup, 0o600); err != nil {
			b.logf("context", "pickup: %v", err)
			b.pickup = ""
		}
	}
	b.Con.Result("%s", strings.Join(ex.Devices, " "))
}

// context returns the effective user-data settings (extra overrides).
func (b *Boot) context() *userdata.Context {
	c := &userdata.Context{}
	c.Merge(b.ctx)
	c.Merge(b.extraCtx)
	return c
}

// stepContextEpilog persists the context on the first boot and reads it
// back on later boots (13context_epilog).
func (b *Boot) stepContextEpilog() {
	dir := filepath.Join(RootRW, DirContext)
	if b.firstBoot {
		save := func(name string, data []byte) {
			if err := writeAtomic(filepath.Join(dir, name), data, 0o600); err != nil {
				b.Con.Warn("save %s: %v", name, err)
			}
		}
		if b.source != userdata.SrcNone && b.source != "" {
			save("user-data", b.userData)
			save("source", []byte(b.source+"\n"))
			ctx := b.ctx
			if ctx == nil {
				ctx = &userdata.Context{}
			}
			save("ucontext", userdata.FormatUcontext(ctx))
			if b.glidein {
				save("glideinwms-user-data", b.userData)
			}
		}
		if b.extraCtx != nil {
			save("extra-ucontext", userdata.FormatUcontext(b.extraCtx))
			save("extra-user-data", b.extraData)
		}
		if b.pickup != "" {
			if err := copyFile(b.pickup, filepath.Join(dir, "pickup.tar.gz"), 0o600); err != nil {
				b.Con.Warn("save pickup.tar.gz: %v", err)
			}
		}
		return
	}
	if c, err := userdata.ReadUcontext(filepath.Join(dir, "ucontext")); err == nil {
		b.ctx = c
	}
	if c, err := userdata.ReadUcontext(filepath.Join(dir, "extra-ucontext")); err == nil {
		b.extraCtx = c
	}
	if s, err := os.ReadFile(filepath.Join(dir, "source")); err == nil {
		b.source = strings.TrimSpace(string(s))
	}
}

// saveLogs writes the step timings and logs to ulogs/ on the scratch disk
// (now at /root/mnt/.rw).
func (b *Boot) saveLogs() {
	dir := filepath.Join(NewRoot, mountRW, DirUlogs)
	if !exists(dir) {
		dir = filepath.Join(RootRW, DirUlogs)
	}
	cache := b.cacheBytes()
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	extra := []string{fmt.Sprintf("first_boot %v", b.firstBoot), fmt.Sprintf("cache_bytes %d", cache),
		fmt.Sprintf("cpu_user %s cpu_sys %s (the bootloader, incl. loading modules)",
			time.Duration(ru.Utime.Nano()).Round(time.Millisecond), time.Duration(ru.Stime.Nano()).Round(time.Millisecond)),
		fmt.Sprintf("max_rss_kb %d", ru.Maxrss)}
	if b.mounted != nil {
		extra = append(extra, fmt.Sprintf("root_hash %s", b.mounted.RootHash), fmt.Sprintf("offline %v", b.mounted.Offline),
			fmt.Sprintf("fetched_bytes_at_mount %d", b.mounted.Bytes))
	}
	rep := b.T.Report(extra...)
	if b.Cmd.Has("cvmdebug") || b.Cmd.Has("ucvm.timings") {
		b.Con.Raw(rep)
	}
	f, err := os.OpenFile(filepath.Join(dir, "boot-timings.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err == nil {
		f.WriteString(rep + "\n")
		f.Close()
	}
	if b.stopProfile != nil {
		_ = os.WriteFile(filepath.Join(dir, time.Now().UTC().Format("ucvm-init-20060102T150405.pprof")), b.stopProfile(), 0o644)
	}
	for name, lb := range b.logs {
		_ = writeAtomic(filepath.Join(dir, name+".log"), []byte(lb.String()), 0o644)
	}
}

// cacheBytes is the cache size for the boot log: the client daemon's own
// accounting when it runs (a walk of a warm cache's ~1,500 files took a few
// hundred ms under emulation), else the allocated bytes below the cache.
func (b *Boot) cacheBytes() int64 {
	if b.mounted != nil && b.repo.FQRN != "" {
		sock := b.clientSocket()
		if out, err := fusefs.Talk(sock, "cache usage", 2*time.Second); err == nil {
			for _, l := range strings.Split(out, "\n") {
				if v, ok := strings.CutPrefix(l, "used "); ok {
					if n, err := strconv.ParseInt(v, 10, 64); err == nil {
						return n
					}
				}
			}
		}
	}
	return DirUsage(filepath.Join(NewRoot, mountRW, DirCache))
}
