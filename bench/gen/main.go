package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"
)

func main() {
	var c config
	flag.StringVar(&c.out, "out", "", "output directory (created)")
	flag.IntVar(&c.files, "files", 100000, "number of regular files")
	flag.Int64Var(&c.bytes, "bytes", 400_000_000, "total size of the regular files")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed")
	flag.IntVar(&c.mutate, "mutate", 0, "mutation round: rewrite 1 % of an existing tree")
	flag.IntVar(&c.workers, "workers", runtime.NumCPU(), "parallel writers")
	flag.Parse()
	if c.out == "" || c.files < 1 || c.bytes < int64(c.files) {
		fmt.Fprintln(os.Stderr, "usage: gen -out DIR [-files N -bytes B -seed S -mutate N] (bytes >= files)")
		os.Exit(2)
	}
	start := time.Now()
	st, err := run(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	el := time.Since(start).Seconds()
	fmt.Printf("gen: %s: %d files written (%d symlinks), %d bytes in %.2f s (%.0f MB/s)\n",
		c.out, st.files, st.symlinks, st.bytes, el, float64(st.bytes)/1e6/el)
}
