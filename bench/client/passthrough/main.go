// Command passthrough mounts a directory read-only through a plain go-fuse
// loopback file system: the floor for any FUSE file system on this machine,
// used as a baseline by the client benchmark (bench/client/run.sh).
//
//	passthrough SRC MOUNTPOINT   # runs until SIGINT/SIGTERM, then unmounts
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: passthrough SRC MOUNTPOINT")
		os.Exit(2)
	}
	root, err := fs.NewLoopbackRoot(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "passthrough:", err)
		os.Exit(1)
	}
	// Same kernel cache settings as ucvm mount (TTL 240 s, 1 MiB reads).
	ttl := 240 * time.Second
	srv, err := fs.Mount(os.Args[2], root, &fs.Options{EntryTimeout: &ttl, AttrTimeout: &ttl, NegativeTimeout: &ttl,
		MountOptions: fuse.MountOptions{FsName: "passthrough", DisableSplice: true, MaxReadAhead: 1 << 20,
			MaxWrite: 1 << 20, Options: []string{"ro"}}})
	if err != nil {
		fmt.Fprintln(os.Stderr, "passthrough:", err)
		os.Exit(1)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	go func() { <-sigs; srv.Unmount() }()
	fmt.Println("ready")
	srv.Wait()
}
