package main

import (
	"bufio"
	"debug/elf"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// userMap names user-space code by the executable mappings of one process
// (/proc/PID/maps of a boot with norandmaps, where every process maps its
// libraries at the same places as far as their mapping order agrees) and
// the dynamic symbols of the mapped files, read under root.
type userMap struct {
	regions []region
}

type region struct {
	lo, hi, off uint64
	file        string
	syms        []sym // by file virtual address
	delta       uint64
}

func loadUserMap(mapsFile, root string) (*userMap, error) {
	f, err := os.Open(mapsFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	um := &userMap{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Fields(sc.Text())
		if len(p) < 6 || !strings.Contains(p[1], "x") || !strings.HasPrefix(p[5], "/") {
			continue
		}
		lo, hi, _ := strings.Cut(p[0], "-")
		r := region{file: p[5]}
		r.lo, _ = strconv.ParseUint(lo, 16, 64)
		r.hi, _ = strconv.ParseUint(hi, 16, 64)
		r.off, _ = strconv.ParseUint(p[2], 16, 64)
		r.syms, r.delta = elfSyms(filepath.Join(root, p[5]), r.off)
		um.regions = append(um.regions, r)
	}
	return um, sc.Err()
}

// elfSyms reads a file's function symbols and the difference between
// virtual address and file offset of its segment at off.
func elfSyms(path string, off uint64) ([]sym, uint64) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, 0
	}
	defer f.Close()
	var delta uint64
	for _, p := range f.Progs {
		if p.Type == elf.PT_LOAD && p.Flags&elf.PF_X != 0 && off >= p.Off && off < p.Off+p.Filesz {
			delta = p.Vaddr - p.Off
		}
	}
	var out []sym
	for _, get := range []func() ([]elf.Symbol, error){f.Symbols, f.DynamicSymbols} {
		es, _ := get()
		for _, e := range es {
			if elf.ST_TYPE(e.Info) == elf.STT_FUNC && e.Value != 0 {
				out = append(out, sym{e.Value, e.Name})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].addr < out[j].addr })
	return out, delta
}

// name returns "file:symbol" for an address in one of the mappings.
func (um *userMap) name(a uint64) (string, bool) {
	for _, r := range um.regions {
		if a >= r.lo && a < r.hi {
			base := filepath.Base(r.file)
			if len(r.syms) == 0 {
				return "[" + base + "]", true
			}
			return find(r.syms, a-r.lo+r.off+r.delta) + " [" + base + "]", true
		}
	}
	return "", false
}
