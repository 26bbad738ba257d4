package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// phases is a profile by symbol, before and after the OS's init started.
type phases struct {
	pre, os map[string]uint64
}

// readProfile reads the plugin's output: "W <total>" window headers and
// "<block address hex> <instructions>" lines. The OS phase starts with
// the first window in which dynamically linked user code ran more than a
// million instructions (systemd).
func readProfile(path string, syms *symbols) (phases, error) {
	f, err := os.Open(path)
	if err != nil {
		return phases{}, err
	}
	defer f.Close()
	ph := phases{pre: map[string]uint64{}, os: map[string]uint64{}}
	inOS := false
	win := map[string]uint64{}
	var dyn uint64 // dynamically linked user code in the window
	flush := func() {
		if !inOS && dyn > 1e6 {
			inOS = true
		}
		dyn = 0
		dst := ph.pre
		if inOS {
			dst = ph.os
		}
		for k, v := range win {
			dst[k] += v
		}
		win = map[string]uint64{}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "W ") {
			flush()
			continue
		}
		a, n, ok := strings.Cut(line, " ")
		if !ok {
			return ph, fmt.Errorf("%s: bad line %q", path, line)
		}
		addr, err1 := strconv.ParseUint(a, 16, 64)
		cnt, err2 := strconv.ParseUint(n, 10, 64)
		if err1 != nil || err2 != nil {
			return ph, fmt.Errorf("%s: bad line %q", path, line)
		}
		if syms.dynamicUser(addr) {
			dyn += cnt
		}
		win[syms.name(addr)] += cnt
	}
	flush()
	return ph, sc.Err()
}

func sum(m map[string]uint64) (t uint64) {
	for _, v := range m {
		t += v
	}
	return t
}

func buckets(m map[string]uint64) map[string]uint64 {
	out := map[string]uint64{}
	for k, v := range m {
		out[bucket(k)] += v
	}
	return out
}

// report prints each phase: totals, buckets and top symbols of the first
// profile, or their differences to the second.
func report(w io.Writer, profs []phases, top int, secPerInsn float64) {
	for _, name := range []string{"pre", "os"} {
		get := func(p phases) map[string]uint64 {
			if name == "pre" {
				return p.pre
			}
			return p.os
		}
		a := get(profs[0])
		b := map[string]uint64{}
		if len(profs) > 1 {
			b = get(profs[1])
		}
		ta, tb := sum(a), sum(b)
		fmt.Fprintf(w, "== %s: %.1fM instructions (%.2f s)", phaseName(name), float64(ta)/1e6, float64(ta)*secPerInsn)
		if len(profs) > 1 {
			fmt.Fprintf(w, ", baseline %.1fM: %+.2f s", float64(tb)/1e6, (float64(ta)-float64(tb))*secPerInsn)
		}
		fmt.Fprintln(w)
		table(w, buckets(a), buckets(b), 10, secPerInsn)
		fmt.Fprintln(w, "  --")
		table(w, a, b, top, secPerInsn)
	}
}

func phaseName(p string) string {
	if p == "pre" {
		return "kernel and initramfs"
	}
	return "OS (from the first dynamically linked code)"
}

// table prints the keys with the largest values (or differences).
func table(w io.Writer, a, b map[string]uint64, n int, secPerInsn float64) {
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	type row struct {
		k    string
		d, v float64
	}
	var rows []row
	for k := range keys {
		rows = append(rows, row{k, float64(a[k]) - float64(b[k]), float64(a[k])})
	}
	sort.Slice(rows, func(i, j int) bool {
		di, dj := rows[i].d, rows[j].d
		if di < 0 {
			di = -di
		}
		if dj < 0 {
			dj = -dj
		}
		return di > dj || di == dj && rows[i].k < rows[j].k
	})
	for i, r := range rows {
		if i == n {
			break
		}
		if len(b) == 0 {
			fmt.Fprintf(w, "  %9.1fM %6.2fs  %s\n", r.v/1e6, r.v*secPerInsn, r.k)
		} else {
			fmt.Fprintf(w, "  %+9.1fM %+6.2fs %9.1fM  %s\n", r.d/1e6, r.d*secPerInsn, r.v/1e6, r.k)
		}
	}
}
