package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ucvm/ucvm/internal/qemu"
	"github.com/ucvm/ucvm/internal/serve"
)

type result struct {
	name        string
	osInit, up  time.Duration
	login       time.Duration // the serial console's login prompt (0: not seen)
	guestUp     time.Duration // the guest's uptime at the marker (0: not printed)
	guestInit   time.Duration // the kernel's timestamp of systemd's first line (0: none)
	fetched     int64
	cacheKB     int64
	layerBytes  int64 // bytes of the files the boot read (its boot layer, written at shutdown)
	initrdBytes int64
}

var (
	reInit   = regexp.MustCompile(`systemd\[1\]|Welcome to .*Debian`)
	reUp     = regexp.MustCompile(`UCVM-OS-UP`)
	reUptime = regexp.MustCompile(`UCVM-OS-UP uptime=([0-9.]+)`)
	// a kernel message's timestamp: "[    6.425564] systemd[1]: ..."
	reKernelTime = regexp.MustCompile(`\[\s*([0-9]+\.[0-9]+)\] systemd\[1\]`)
	reCache      = regexp.MustCompile(`UCVM-DEMO cache_kb=(\d+)`)
	reLayer      = regexp.MustCompile(`boot layer written in [0-9.]+ s: dir \S+ files \d+ bytes (\d+)|\d+ files, \d+ symlinks, [0-9.]+ MB in a [0-9.]+ MB image \(bytes (\d+)\)`) // the pack's result, also on a line of its own after kernel messages
)

type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// serve runs ucvm's server for the demo repository in-process, writes its
// access log to accessLog and counts the body bytes it sends.
func (b *bench) serve(accessLog io.Writer) (func(), func() int64, error) {
	repo, err := serve.Discover(b.work + "/storage")
	if err != nil {
		return nil, nil, err
	}
	h, err := serve.NewHandler([]serve.Repo{repo}, slog.New(slog.NewTextHandler(accessLog, nil)))
	if err != nil {
		return nil, nil, err
	}
	var sent atomic.Int64
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", b.port))
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(countingWriter{w, &sent}, r)
	})}
	go srv.Serve(l)
	return func() { srv.Close(); h.Close() }, sent.Load, nil
}

func (b *bench) boot(name, initrd, disk, format, params string, more ...qemu.Drive) (result, error) {
	r := result{name: name}
	mon := b.path("monitor.sock")
	id := strings.NewReplacer("(", "", ")", "", ",", "", " ", "-").Replace(name)
	cfg := qemu.Config{Name: id, Kernel: b.kern.Vmlinux, Initrd: initrd, Append: strings.TrimSpace(qemu.AppendDefaults + " " + params),
		Firmware: qemu.FirmwareQboot, MemoryMB: 1536, SMP: b.smp, Timeout: b.timeout, Net: &qemu.Net{},
		Drives: append([]qemu.Drive{{File: disk, Format: format}}, more...), LogFile: b.path(id + ".console.log"),
		Extra: append([]string{"-monitor", "unix:" + mon + ",server,nowait"}, b.icountArgs()...)}
	fmt.Printf("booting %s ...\n", name)
	vm, err := qemu.Start(context.Background(), cfg)
	if err != nil {
		return r, err
	}
	defer vm.Kill()
	l, err := vm.WaitFor(reInit, b.timeout)
	if err != nil {
		return r, fmt.Errorf("OS init: %w (console: %s)", err, cfg.LogFile)
	}
	r.osInit = l.At
	if m := reKernelTime.FindStringSubmatch(l.Text); m != nil {
		s, _ := strconv.ParseFloat(m[1], 64)
		r.guestInit = time.Duration(s * float64(time.Second))
	}
	if l, err = vm.WaitFor(reUp, b.timeout); err != nil {
		return r, fmt.Errorf("OS up: %w (console: %s)", err, cfg.LogFile)
	}
	r.up = l.At
	if m := reUptime.FindStringSubmatch(l.Text); m != nil {
		s, _ := strconv.ParseFloat(m[1], 64)
		r.guestUp = time.Duration(s * float64(time.Second))
	}
	if l, err := vm.WaitPrompt("login:", 30*time.Second); err == nil {
		r.login = l.At
	}
	time.Sleep(2 * time.Second)
	for _, ln := range vm.Lines() {
		if m := reCache.FindStringSubmatch(ln.Text); m != nil {
			r.cacheKB, _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	if c, err := net.Dial("unix", mon); err == nil {
		c.Write([]byte("sendkey ctrl-alt-delete\n"))
		time.Sleep(300 * time.Millisecond)
		c.Close()
	}
	if err := vm.WaitExit(2 * time.Minute); err != nil {
		fmt.Printf("  %s did not shut down cleanly: %v\n", name, err)
	}
	for _, ln := range vm.Lines() {
		if m := reLayer.FindStringSubmatch(ln.Text); m != nil {
			r.layerBytes, _ = strconv.ParseInt(m[1]+m[2], 10, 64)
		}
	}
	fmt.Printf("  OS init %.1f s, up %.1f s\n", r.osInit.Seconds(), r.up.Seconds())
	return r, nil
}

// icountArgs returns the -icount arguments of -icount SHIFT (none if off).
func (b *bench) icountArgs() []string {
	if b.icount < 0 {
		return nil
	}
	return []string{"-icount", fmt.Sprintf("shift=%d,sleep=on", b.icount)}
}
