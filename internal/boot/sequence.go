package boot

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/ucvm/ucvm/internal/userdata"
)

// Boot is the state of one run of the boot sequence.
type Boot struct {
	Con     *Console
	Cmd     Cmdline
	Branch  Branch
	Version string
	Tools   Tools
	Mounter RepoMounter
	T       *Timings

	firstBoot bool
	ctx       *userdata.Context // user data + extra user data
	extraCtx  *userdata.Context
	source    string
	userData  []byte
	extraData []byte
	pickup    string
	glidein   bool
	net       NetConfig
	states    []DevState
	media     []MountedMedium
	scratch   BlockDev
	repo      RepoSettings
	mounted   *Mounted
	logs      map[string]*strings.Builder
	// stopProfile ends the bootloader's CPU profile (ucvm.cpuprofile).
	stopProfile func() []byte
}

func (b *Boot) logf(name, format string, args ...any) {
	if b.logs == nil {
		b.logs = map[string]*strings.Builder{}
	}
	if b.logs[name] == nil {
		b.logs[name] = &strings.Builder{}
	}
	fmt.Fprintf(b.logs[name], format+"\n", args...)
}

// panic reports a fatal problem: rescue shell (then continue or power
// off), or with ucvm.panic=poweroff an immediate power-off (for tests).
func (b *Boot) panic(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	switch b.Cmd.Get("ucvm.panic") {
	case "poweroff":
		b.Con.Error("%s", msg)
		b.Con.Info("Powering off (ucvm.panic=poweroff)")
		PowerOff()
		os.Exit(1)
	case "continue":
		b.Con.Error("%s", msg)
		return
	}
	if !Rescue(b.Con, msg, b.Cmd.Get("ucvm.rescue_tty")) {
		PowerOff()
		os.Exit(1)
	}
}

// Run executes the whole boot sequence and hands over to the OS init.
func (b *Boot) Run() {
	var prof bytes.Buffer // ucvm.cpuprofile: the bootloader's own profile, saved to ulogs/
	if b.Cmd.Has("ucvm.cpuprofile") && pprof.StartCPUProfile(&prof) == nil {
		b.stopProfile = func() []byte { pprof.StopCPUProfile(); return prof.Bytes() }
	}
	b.T.Begin("modules")
	b.stepModules()
	b.T.Begin("devices")
	b.stepDevices()
	b.T.Begin("network")
	b.stepNetwork()
	if b.firstBoot {
		b.T.Begin("context")
		b.stepContext()
		b.T.Begin("extracontext")
		b.stepExtraContext()
	}
	UnmountMedia(b.media)
	b.T.Begin("scratch")
	b.stepScratch()
	b.T.Begin("resize")
	b.stepResize()
	b.T.Begin("kexec")
	b.stepKexec()
	b.stepContextEpilog()
	b.T.Begin("repository")
	b.stepRepository()
	b.T.Begin("rebase")
	b.stepRebase()
	b.T.Begin("bootpack")
	b.stepBootPack()
	b.T.Begin("root")
	b.stepRoot()
	b.T.Begin("inject")
	b.stepInject()
	b.T.Begin("hotfixes")
	b.stepHotfixes()
	b.T.Begin("bootstrap")
	b.stepBootstrap()
	b.stepPinfiles()
	b.T.End()
	b.saveLogs()
	if b.Cmd.Has("cvmdebug") {
		if !Rescue(b.Con, "Debug mode", b.Cmd.Get("ucvm.rescue_tty")) {
			PowerOff()
			return
		}
	}
	b.Con.Raw("\n")
	init := orDefault(b.Cmd.Get("ucvm.init"), OSInit)
	if err := SwitchRoot(NewRoot, init, nil); err != nil {
		// after a failed exec we may already be inside the new root
		for _, l := range []string{filepath.Join(RootRW, DirCache, "ucvm-mount.log"), "/" + mountRW + "/cache/ucvm-mount.log"} {
			if log, rerr := os.ReadFile(l); rerr == nil {
				b.Con.Raw(tail(string(log), 15))
				break
			}
		}
		b.panic("%v: %v", ErrNoInit, err)
	}
}

func (b *Boot) stepModules() {
	b.Con.Start("Loading predefined modules...")
	dir := filepath.Join("/lib/modules", KernelRelease())
	devices := func(buses []string) []string { return Modaliases("/sys", buses...) }
	if b.Cmd.Get("ucvm.modules") == "all" { // every driver, present device or not
		devices = nil
	}
	var took []string // per module, for ulogs/modules.log
	timed := func(p string) error {
		t0 := time.Now()
		err := FinitModule(p)
		took = append(took, fmt.Sprintf("%s %.3fs", moduleName(p), time.Since(t0).Seconds()))
		return err
	}
	n, skipped, err := LoadModules(dir, timed, devices, LaterModules...)
	b.logf("modules", "loaded %d modules from %s (no device for %s; when needed: %s); errors: %v\n%s", n, dir,
		strings.Join(skipped, " "), strings.Join(LaterModules, " "), err, strings.Join(took, "\n"))
	b.Con.OK()
}

func (b *Boot) stepDevices() {
	b.states = b.scanDevices()
	for _, s := range b.states {
		b.logf("devices", "%s disk=%s part=%d size=%d ro=%v removable=%v fs=%s label=%q table=%v",
			s.Dev.Name, s.Dev.Disk, s.Dev.Partition, s.Dev.Size, s.Dev.ReadOnly, s.Dev.Removable, s.FS.Type, s.FS.Label, s.HasTable)
		if isScratch(s) {
			b.scratch = s.Dev
		}
	}
	b.firstBoot = b.scratch.Name == ""
	b.media = MountMedia(b.states)
}

// scanDevices probes the block devices. When the scratch disk is there at
// the first look the scan ends: a later boot needs nothing else (context
// media are read on the first boot only). Otherwise it waits until two
// scans agree, for controllers that attach disks late (NVMe, SCSI, Xen);
// without any such controller (virtio-blk disks appear as their driver
// loads) the first look is final.
func (b *Boot) scanDevices() []DevState {
	if devs, err := ScanBlockDevs("/sys"); err == nil {
		states := ProbeStates(devs)
		for _, s := range states {
			if isScratch(s) {
				return states
			}
		}
		if len(devs) > 0 && !LateDisks("/sys") {
			return states
		}
	}
	devs, err := ScanStable("/sys", 2*time.Second)
	if err != nil {
		b.Con.Warn("block devices: %v", err)
	}
	return ProbeStates(devs)
}

func isScratch(s DevState) bool {
	return s.FS.Type == "ext4" && s.FS.Label == ScratchLabel && !s.Dev.ReadOnly && !s.Dev.Removable
}

func (b *Boot) stepNetwork() {
	b.Con.Start("Starting networking...")
	ifaces, err := Interfaces()
	if err != nil || len(ifaces) == 0 {
		b.logf("network", "no interfaces: %v", err)
		b.Con.Result("no network interface")
		return
	}
	names := make([]string, len(ifaces))
	for i, f := range ifaces {
		names[i] = f.Name
	}
	if err := LinkUp(names...); err != nil {
		b.logf("network", "%v", err)
	}
	if cfgs := b.staticNetwork(ifaces); len(cfgs) > 0 {
		for _, c := range cfgs {
			if err := ApplyNetConfig(c, "/etc/resolv.conf"); err != nil {
				b.logf("network", "static %s: %v", c.Iface, err)
			}
			b.logf("network", "%s", NetworkLog(c))
		}
		b.net = cfgs[0]
		b.Con.Result("check (using static network settings)")
		return
	}
	timeout := 20 * time.Second
	if v, err := parseInt(b.Cmd.Get("ucvm.dhcp_timeout")); err == nil && v > 0 {
		timeout = time.Duration(v) * time.Second
	}
	c, err := DHCP(context.Background(), ifaces, timeout)
	if err != nil {
		b.logf("network", "%v", err)
		b.Con.Result("failed (%v)", ErrNoLease)
		return
	}
	if err := ApplyNetConfig(c, "/etc/resolv.conf"); err != nil {
		b.logf("network", "apply lease: %v", err)
		b.Con.Fail()
		return
	}
	b.net = c
	b.logf("network", "%s", NetworkLog(c))
	b.Con.OK()
}

// staticNetwork reads ETHn_* settings from the first medium with context.sh.
func (b *Boot) staticNetwork(ifaces []IfaceInfo) []NetConfig {
	for _, m := range b.media {
		if m.FSType != "iso9660" && m.FSType != "vfat" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(m.Dir, "context.sh"))
		if err != nil {
			continue
		}
		return OpenNebulaConfigs(userdata.ParseShellVars(string(data)), ifaces)
	}
	return nil
}
