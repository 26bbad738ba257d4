// Command insnprof reports where a guest spent its instructions, from the
// output of the QEMU TCG plugin plugin/insnprof.c (per-block instruction
// counts, dumped every WINDOW instructions): by phase (before and after
// the OS's init first runs dynamically linked code), by kernel module, and
// by symbol, and with a second profile the differences. It is how the boot
// costs in docs/benchmarks.md ("Where a boot's instructions go") were
// found.
//
//	gcc -O2 -shared -fPIC -fvisibility=hidden -o insnprof.so bench/insnprof/plugin/insnprof.c
//	qemu-system-x86_64 ... -append "... nokaslr" -icount shift=2,sleep=on \
//	    -plugin ./insnprof.so,arg=out=ucvm.prof
//	go run ./bench/insnprof -kallsyms kallsyms.txt -gobin ucvm-init.unstripped ucvm.prof [classic.prof]
//
// With -maps (the /proc/PID/maps of one process, e.g. PID 1, of a boot
// with norandmaps, and -root the OS tree its files are read under), user
// space is named by the mapped files' symbols instead of one bucket:
// under norandmaps the processes of a boot map their libraries at nearly
// the same places, so the names are right for that process and close for
// the others.
//
// kallsyms.txt is /proc/kallsyms of a boot of the same kernel with
// nokaslr and the same modules loaded in the same order (with
// kernel.kptr_restrict=0); -gobin an unstripped build of the bootloader
// with the same flags (its text is laid out as the stripped one's).
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "insnprof:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("insnprof", flag.ContinueOnError)
	kallsyms := fs.String("kallsyms", "", "/proc/kallsyms of the guest kernel (nokaslr)")
	gobin := fs.String("gobin", "", "unstripped Go binary of the bootloader, for user-space symbols")
	maps := fs.String("maps", "", "/proc/PID/maps of a process of a boot with norandmaps: its mapped files' code by symbol (user space otherwise shows as one bucket)")
	root := fs.String("root", "/", "directory the mapped files of -maps are read under (the OS tree)")
	top := fs.Int("top", 30, "symbols to show")
	nsPerInsn := fs.Float64("ns", 4, "nanoseconds per instruction (QEMU -icount shift=2: 4)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return fmt.Errorf("usage: insnprof -kallsyms FILE [-gobin FILE] PROFILE [BASELINE]")
	}
	syms, err := loadSymbols(*kallsyms, *gobin)
	if err != nil {
		return err
	}
	if *maps != "" {
		if syms.user, err = loadUserMap(*maps, *root); err != nil {
			return err
		}
	}
	var profs []phases
	for _, p := range fs.Args() {
		ph, err := readProfile(p, syms)
		if err != nil {
			return err
		}
		profs = append(profs, ph)
	}
	report(os.Stdout, profs, *top, *nsPerInsn*1e-9)
	return nil
}
