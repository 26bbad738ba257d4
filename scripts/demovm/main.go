// Command demovm is the second stage of `make demo`: it builds a Debian
// bookworm tree, publishes it into a CernVM-FS repository at path os/,
// builds the ucvm boot ISO for it, serves the repository on 127.0.0.1 and
// boots the ISO in QEMU (software emulation) with an empty scratch disk and
// user data that sets a hostname and a message. It shows the console until
// the OS is up, reports timings and bytes fetched against the size of the OS
// tree, and powers the VM off. A second run reuses the scratch disk (warm
// cache) and compares itself with the first.
//
//	go run ./scripts/demovm -work /var/tmp/ucvm-demo/vm -ucvm bin/ucvm
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

type options struct {
	work, ucvm, root string
	port             int
	timeout          time.Duration
	fresh            bool
}

func main() {
	var o options
	flag.StringVar(&o.work, "work", "/var/tmp/ucvm-demo/vm", "work directory (kept between runs: OS tree, repository, scratch disk)")
	flag.StringVar(&o.ucvm, "ucvm", "bin/ucvm", "the ucvm binary")
	flag.IntVar(&o.port, "port", 8087, "port of the repository server on 127.0.0.1")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "limit for the VM boot")
	flag.BoolVar(&o.fresh, "fresh", false, "start with an empty scratch disk (cold cache)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	var err error
	if o.work, err = filepath.Abs(o.work); err != nil {
		return err
	}
	if o.ucvm, err = filepath.Abs(o.ucvm); err != nil {
		return err
	}
	if o.root, err = os.Getwd(); err != nil {
		return err
	}
	d := &demo{o: o, fqrn: "os.demo.ucvm", tag: "bookworm"}
	steps := []struct {
		name string
		fn   func() error
	}{
		{"Debian bookworm OS tree (mmdebstrap, cached)", d.osTree},
		{"publish it into " + d.fqrn + " at /os", d.publish},
		{"build the boot ISO", d.image},
		{"serve the repository on 127.0.0.1", d.serve},
		{"boot the ISO in QEMU with user data", d.boot},
	}
	defer d.cleanup()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		fmt.Fprintln(os.Stderr, "demo: interrupted, stopping")
		d.cleanup()
		os.Exit(130)
	}()
	for _, s := range steps {
		say("%s", s.name)
		start := time.Now()
		if err := s.fn(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		fmt.Printf("   (%.1f s)\n", time.Since(start).Seconds())
	}
	return d.report()
}

func say(format string, args ...any) {
	fmt.Printf("\n\033[1m== "+format+"\033[0m\n", args...)
}
