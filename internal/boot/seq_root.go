package boot

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/userdata"
)

// stepRepository mounts the OS repository with the pinned snapshot.
func (b *Boot) stepRepository() {
	b.Con.Start("Starting CernVM File System...")
	s := ResolveRepo(b.Branch, b.Cmd, b.context(), FSSizeMB(RootRW))
	s.CacheDir = filepath.Join(RootRW, DirCache)
	s.KeysDir = "/etc/cvmfs/keys"
	s.Mountpoint = RootRO
	s.UIDMap, s.GIDMap = filepath.Join(RootRW, "aux/uid_map"), filepath.Join(RootRW, "aux/gid_map")
	if b.useBootLayer() {
		s.BootLayer = filepath.Join(RootRW, DirBootLayer)
	}
	if b.Cmd.Has("ucvm.cpuprofile") {
		s.CPUProfile = filepath.Join(RootRW, DirCache, time.Now().UTC().Format("ucvm-mount-20060102T150405.pprof"))
	}
	s.GoDebug = orDefault(b.Cmd.Get("ucvm.godebug"), ClientGoDebug)
	s.DebugFuse = b.Cmd.Has("ucvm.debugfuse")
	pin, err := ReadSnapshot(RootRW)
	if err != nil {
		b.Con.Warn("%v", err)
	}
	if tag := ReadForceTag(RootRW); tag != "" {
		s.Tag, s.Fresh = tag, true
	} else if pin != nil {
		s.RootHash, s.Tag = pin.RootHash, pin.Tag
	} else {
		s.Fresh = true
	}
	b.repo = s
	b.logf("cvmfs", "settings %+v", s)
	if s.WaitOnSquid > 0 {
		b.Con.Raw("\n")
		err := WaitOnSquid(s, s.WaitOnSquid, 10*time.Duration(s.WaitOnSquid)*time.Second+time.Minute,
			func(f string, a ...any) { b.Con.Info(f, a...) })
		if err != nil {
			b.Con.Warn("cvmfs_wait_on_squid: %v", err)
		}
		b.Con.Start("Mounting %s...", s.FQRN)
	}
	m, err := b.Mounter.Mount(s)
	if err != nil {
		b.Con.Fail()
		if log, rerr := os.ReadFile(filepath.Join(s.CacheDir, "ucvm-mount.log")); rerr == nil {
			b.Con.Raw(tail(string(log), 20))
		}
		b.panic("Unable to mount cvmfs root filesystem! %v", err)
		return
	}
	b.mounted = m
	if s.Fresh && m.RootHash != "" {
		if err := WriteSnapshot(RootRW, Snapshot{RootHash: m.RootHash, Tag: s.Tag}); err != nil {
			b.Con.Warn("pin snapshot: %v", err)
		}
	}
	b.copyKeys(s)
	if _, err := os.ReadDir(filepath.Join(RootRO, s.OSPath)); err != nil {
		b.Con.Fail()
		b.panic("OS path %s not in %s: %v (check cernvm_path)", s.OSPath, s.FQRN, err)
		return
	}
	note := ""
	if m.Offline {
		note = " (offline, cached snapshot)"
	}
	b.Con.Result("connected to %s%s", s.FQRN, note)
}

func (b *Boot) copyKeys(s RepoSettings) {
	dst := filepath.Join(RootRW, "aux/keys", s.FQRN)
	_ = os.MkdirAll(dst, 0o755)
	keys, _ := filepath.Glob(filepath.Join(s.KeysDir, "*.pub"))
	for _, k := range keys {
		_ = copyFile(k, filepath.Join(dst, filepath.Base(k)), 0o644)
	}
}

func tail(s string, n int) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n") + "\n"
}

// stepRoot mounts the union and moves scratch disk and repository into it.
// Lower layers, top first: the initrd's kernel modules (ModulesLayer),
// the snapshot's boot layer (files, or a boot pack's image mounted on it),
// the repository's OS tree. A layer that does not mount is left out.
func (b *Boot) stepRoot() {
	lower := filepath.Join(RootRO, b.repo.OSPath)
	layer, image := b.bootLayerLower()
	mods := ""
	if b.Cmd.Get("ucvm.moduleslayer") != "off" {
		mods = modulesLayer(lower, filepath.Join(RootRW, DirPersistent))
	}
	var tries [][]string
	if layer != "" {
		tries = append(tries, []string{mods, layer, lower}, []string{"", layer, lower})
	}
	tries = append(tries, []string{mods, "", lower}, []string{"", "", lower})
	var used []string
	var errs []string
	seen := map[string]bool{}
	for _, t := range tries {
		l := joinLower(t)
		if seen[l] {
			continue // (no modules layer: the same union)
		}
		seen[l] = true
		if err := MountOverlay(l, RootRW, NewRoot); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		used = t
		break
	}
	if used == nil {
		b.panic("%s", strings.Join(errs, "; "))
		return
	}
	if layer != "" && used[1] != layer {
		// a damaged layer must not stop the boot: drop it (the next
		// shutdown writes a new one)
		b.Con.Warn("boot layer not usable, removed: %s", strings.Join(errs, "; "))
		if image {
			_ = unix.Unmount(layer, unix.MNT_DETACH)
		}
		_ = os.RemoveAll(filepath.Join(b.repo.BootLayer, b.mounted.RootHash))
	}
	if mods != "" && used[0] != mods {
		unmoveModules(mods) // stepHotfixes copies them
	}
	// Bind, not move: the client daemon keeps using its cache by its
	// absolute path /root.rw/cache after the switch of the root.
	if err := BindMount(RootRW, filepath.Join(NewRoot, mountRW)); err != nil {
		b.panic("%v", err)
	}
	if err := MoveMount(RootRO, filepath.Join(NewRoot, mountRO)); err != nil {
		b.panic("%v", err)
	}
}

// bootLayerLower returns the snapshot's boot layer ("" if none), with its
// pack image mounted on it when it has one (image true).
func (b *Boot) bootLayerLower() (layer string, image bool) {
	if b.repo.BootLayer == "" || b.mounted == nil {
		return "", false
	}
	layer = BootLayerLower(b.repo.BootLayer, b.mounted.RootHash, b.repo.OSPath)
	if layer == "" {
		return "", false
	}
	b.logf("cvmfs", "boot layer %s", layer)
	dir := filepath.Join(b.repo.BootLayer, b.mounted.RootHash)
	image, err := mountLayerImage(dir, layer, b.loadLater)
	if err != nil {
		b.Con.Warn("boot pack image not usable, removed: %v", err)
		_ = os.RemoveAll(dir)
		return "", false
	}
	return layer, image
}

// joinLower joins the non-empty layers with ":" (overlayfs lowerdir).
func joinLower(layers []string) string {
	var out []string
	for _, l := range layers {
		if l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, ":")
}

// loadLater loads modules of LaterModules when the boot needs them; the
// time goes to ulogs/modules.log.
func (b *Boot) loadLater(names ...string) error {
	t0 := time.Now()
	err := LoadLater(filepath.Join("/lib/modules", KernelRelease()), FinitModule, ModuleLoaded, names...)
	b.logf("modules", "later: %s %.3fs, errors: %v", strings.Join(names, " "), time.Since(t0).Seconds(), err)
	return err
}

func (b *Boot) rw(p string) string { return filepath.Join(NewRoot, mountRW, p) }

// stepInject extracts cernvm_inject once.
func (b *Boot) stepInject() {
	v := b.context().Value("cernvm_inject")
	marker := b.rw("context/injected")
	if v == "" || exists(marker) {
		return
	}
	b.Con.Start("Injecting files...")
	data, err := DecodeInject(v)
	var names []string
	if err == nil {
		names, err = ExtractTarGz(data, NewRoot)
	}
	b.logf("inject", "%s\nerror: %v", strings.Join(names, "\n"), err)
	if err != nil {
		b.Con.Fail()
		b.Con.Warn("cernvm_inject: %v (retried on the next boot)", err)
		return
	}
	_ = touch(marker)
	b.Con.OK()
}

// stepHotfixes: /tmp, /cvmfs, kernel modules for the OS, pickup tarball,
// extra user data, client pid file, shutdown hand-back.
func (b *Boot) stepHotfixes() {
	_ = os.MkdirAll(filepath.Join(NewRoot, "tmp"), 0o1777)
	_ = os.Chmod(filepath.Join(NewRoot, "tmp"), 0o1777|os.ModeSticky)
	_ = os.MkdirAll(filepath.Join(NewRoot, "cvmfs"), 0o755)
	kver := KernelRelease()
	if dst := filepath.Join(NewRoot, "lib/modules", kver); kver != "" && exists("/lib/modules/"+kver) && !exists(dst) {
		b.Con.Start("Posting kernel modules...")
		src, _ := filepath.EvalSymlinks("/lib/modules/" + kver) // (moved to ModulesLayer)
		if err := copyTree(src, dst); err != nil {
			b.Con.Fail()
			b.logf("hotfixes", "modules: %v", err)
		} else {
			b.Con.OK()
		}
	}
	if b.firstBoot && b.pickup != "" {
		data, err := os.ReadFile(b.pickup)
		if err == nil {
			_, err = ExtractTarGz(data, NewRoot)
		}
		if err != nil {
			b.Con.Warn("pickup.tar.gz: %v", err)
		}
	}
	if b.firstBoot && len(b.extraData) > 0 {
		_ = os.MkdirAll(filepath.Join(NewRoot, "cernvm"), 0o755)
		_ = writeAtomic(filepath.Join(NewRoot, "cernvm/extra-user-data"), b.extraData, 0o644)
	}
	if b.mounted != nil {
		_ = writeAtomic(filepath.Join(NewRoot, ".cvmfs_pids"), []byte(strconv.Itoa(b.mounted.PID)+"\n"), 0o644)
		sock := b.clientSocket()
		if err := PrepareShutdown(ShutdownDir, b.mounted.PID, sock); err != nil {
			b.Con.Warn("%v", err)
		}
	}
}

// stepBootstrap runs the OS's /.ucernvm_bootstrap with the new root as
// argument (under busybox sh, bounded to 5 minutes). The original sourced
// it in its own shell; here the initrd state is passed in the environment.
func (b *Boot) stepBootstrap() {
	script := filepath.Join(NewRoot, ".ucernvm_bootstrap")
	if !exists(script) {
		return
	}
	bb := busybox()
	if bb == "" {
		b.Con.Warn("%s: no busybox in the initrd to run it", script)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bb, "sh", script, NewRoot)
	env := append(os.Environ(), "ROOT="+NewRoot, "PATH=/bin:/sbin:/usr/bin:/usr/sbin",
		"CVMFS_REPOSITORY="+b.repo.FQRN, "CERNVM_PATH="+b.repo.OSPath)
	if b.firstBoot && b.source != "" && b.source != userdata.SrcNone {
		env = append(env, "UCONTEXT_SRC="+b.source)
	}
	for _, e := range b.context().Entries() {
		env = append(env, userdata.UcontextPrefix+strings.ToUpper(e.Key)+"="+e.Value)
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stdout
	if err := cmd.Run(); err != nil {
		b.Con.Warn(".ucernvm_bootstrap: %v", err)
	}
}

// stepPinfiles hands /.ucernvm_pinfiles to a background process that pins
// the files through the client's control socket.
func (b *Boot) stepPinfiles() {
	list := filepath.Join(NewRoot, ".ucernvm_pinfiles")
	if !exists(list) || b.mounted == nil {
		return
	}
	b.Con.Start("Pinning core file set...")
	// The pinner outlives the hand-over with the initramfs as its root,
	// where the scratch disk stays bound at /root.rw; so all its paths are
	// there (the OS's /root mount moves away).
	cacheDir := filepath.Join(RootRW, DirCache)
	staged := filepath.Join(cacheDir, "pinfiles.list")
	_ = os.Remove(filepath.Join(cacheDir, "pinned"))
	if err := copyFile(list, staged, 0o644); err != nil {
		b.Con.Fail()
		return
	}
	sock := b.clientSocket()
	cmd := exec.Command("/proc/self/exe", staged, sock, b.repo.OSPath, filepath.Join(cacheDir, "pinned"))
	cmd.Args[0] = PinArgv0
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		b.Con.Fail()
		return
	}
	go cmd.Wait()
	b.Con.OK()
}

// copyTree copies a directory tree of regular files, dirs and symlinks.
func copyTree(src, dst string) error {
	return filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		t := filepath.Join(dst, rel)
		switch {
		case info.IsDir():
			return os.MkdirAll(t, 0o755)
		case info.Mode()&os.ModeSymlink != 0:
			l, _ := os.Readlink(p)
			return os.Symlink(l, t)
		default:
			return copyFile(p, t, info.Mode().Perm())
		}
	})
}
