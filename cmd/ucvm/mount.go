package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ucvm/ucvm/internal/clientconfig"
	"github.com/ucvm/ucvm/internal/fusefs"
)

func init() { register(newMountCmd) }

type mountFlags struct {
	configFlags
	foreground bool
	pidFile    string
	logFile    string
	readyFD    int
	debug      bool
	cpuProfile string
}

func newMountCmd() *cobra.Command {
	var f mountFlags
	c := &cobra.Command{
		Use:   "mount FQRN MOUNTPOINT",
		Short: "Mount a CernVM-FS repository read-only through FUSE (daemonizes once the mount is ready)",
		Long: `Mount a CernVM-FS repository. Settings come from the /etc/cvmfs layers of the
real client (or --config-dir), then --config files, then -o KEY=VALUE.
The command returns once the mount is ready and leaves a daemon serving it
(-f stays in the foreground). Unmount with umount, fusermount3 -u or SIGTERM.
Control the daemon with 'ucvm talk FQRN COMMAND'.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMount(cmd.Context(), &f, args[0], args[1])
		},
	}
	f.configFlags.add(c)
	fl := c.Flags()
	fl.BoolVarP(&f.foreground, "foreground", "f", false, "stay in the foreground")
	fl.StringVar(&f.pidFile, "pid-file", "", "write the daemon's pid to this file")
	fl.StringVar(&f.logFile, "log-file", "", "daemon log (default: discarded; -f logs to stderr)")
	fl.BoolVar(&f.debug, "debug-fuse", false, "log every FUSE request")
	fl.IntVar(&f.readyFD, "daemon-ready-fd", 0, "internal: readiness pipe of the daemon")
	fl.MarkHidden("daemon-ready-fd")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the daemon to FILE (benchmarks)")
	fl.MarkHidden("cpuprofile")
	return c
}

func runMount(ctx context.Context, f *mountFlags, fqrn, mountpoint string) error {
	mnt, err := filepath.Abs(mountpoint)
	if err != nil {
		return err
	}
	if f.pidFile != "" {
		if f.pidFile, err = filepath.Abs(f.pidFile); err != nil {
			return err
		}
	}
	warnings := io.Writer(os.Stderr)
	if f.readyFD > 0 {
		warnings = io.Discard // the parent printed them already
	}
	cc, err := f.load(fqrn, warnings)
	if err != nil {
		return err
	}
	if !f.foreground && f.readyFD == 0 {
		return spawnDaemon(cc, mnt)
	}
	var ready io.WriteCloser
	if f.readyFD > 0 {
		ready = os.NewFile(uintptr(f.readyFD), "ready")
		signal.Ignore(syscall.SIGHUP)
	}
	return serveMount(ctx, f, cc, mnt, ready)
}

// serveMount mounts, reports readiness and serves until unmounted.
func serveMount(ctx context.Context, f *mountFlags, cc *clientconfig.Config, mnt string, ready io.WriteCloser) error {
	log := slog.Default()
	fail := func(err error) error {
		if ready != nil {
			fmt.Fprintf(ready, "error: %v\n", err)
			ready.Close()
		}
		return err
	}
	if n := cc.NFiles(); n > 0 { // CVMFS_NFILES
		var lim syscall.Rlimit
		syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
		lim.Cur, lim.Max = uint64(n), max(lim.Max, uint64(n))
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			log.Warn("cannot raise the open file limit (CVMFS_NFILES)", "want", n, "err", err)
		}
	}
	// Catch SIGTERM before anyone can know our pid (pid file, readiness):
	// a signal that arrives while mounting is handled once mounted.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	setup, err := fusefs.NewSetup(ctx, cc, mnt, log)
	if err != nil {
		return fail(err)
	}
	defer setup.Close()
	setup.Mount.Debug = f.debug
	mctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	m, err := fusefs.Mount(mctx, setup.Mount)
	cancel()
	if err != nil {
		return fail(err)
	}
	if f.pidFile != "" {
		if err := os.WriteFile(f.pidFile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
			m.Unmount()
			return fail(fmt.Errorf("write pid file: %w", err))
		}
		defer os.Remove(f.pidFile)
	}
	log.Info("mounted", "fqrn", cc.FQRN, "mountpoint", mnt, "revision", m.FS.Info().Revision, "pid", os.Getpid())
	if ready != nil {
		os.Chdir("/") // a daemon must not keep its starter's directory busy
		fmt.Fprintln(ready, "ok")
		ready.Close()
	}
	go func() {
		for s := range sigs {
			log.Info("unmounting", "signal", s)
			if err := m.Unmount(); err != nil {
				log.Warn("unmount", "err", err)
			}
		}
	}()
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			log.Warn("cpu profile", "err", err)
		} else {
			defer stop()
		}
	}
	m.Wait()
	return nil
}

// spawnDaemon re-executes this program as the mount daemon in its own
// session and waits until it reports the mount ready (or failed).
func spawnDaemon(cc *clientconfig.Config, mnt string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	argv0 := "ucvm"
	if cc.SystemdNoKill() {
		argv0 = "@ucvm" // systemd spares such processes at shutdown
	}
	args := append([]string{argv0}, os.Args[1:]...)
	args = append(args, "--daemon-ready-fd=3")
	cmd := &exec.Cmd{Path: self, Args: args, ExtraFiles: []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true}}
	if lf := logFileOf(os.Args); lf != "" {
		out, err := os.OpenFile(lf, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return fmt.Errorf("log file: %w", err)
		}
		defer out.Close()
		cmd.Stdout, cmd.Stderr = out, out
	}
	if err := cmd.Start(); err != nil {
		w.Close()
		return fmt.Errorf("start mount daemon: %w", err)
	}
	w.Close()
	go cmd.Wait() // reap it if it dies before we exit
	msg := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(r, 64<<10))
		msg <- strings.TrimSpace(string(b))
	}()
	select {
	case s := <-msg:
		if s == "ok" {
			return nil
		}
		if s == "" {
			return errors.New("mount daemon exited before the mount was ready (see --log-file)")
		}
		return errors.New(strings.TrimPrefix(s, "error: "))
	case <-time.After(6 * time.Minute):
		cmd.Process.Kill()
		return errors.New("mount daemon did not become ready within 6 minutes")
	}
}

// logFileOf finds --log-file in the raw arguments (the parent only needs it
// to redirect the daemon's output).
func logFileOf(args []string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--log-file="); ok {
			return v
		}
		if a == "--log-file" && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// startCPUProfile profiles the daemon until the returned stop is called.
func startCPUProfile(path string) (func(), error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); out.Close() }, nil
}
