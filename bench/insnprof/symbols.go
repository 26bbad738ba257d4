package main

import (
	"bufio"
	"debug/elf"
	"os"
	"sort"
	"strconv"
	"strings"
)

type sym struct {
	addr uint64
	name string // "func" or "func [module]"
}

// symbols resolves guest addresses: kernel and modules from kallsyms,
// the bootloader's Go code from its ELF symbol table.
type symbols struct {
	kernel []sym
	gotext []sym
	goLo   uint64
	goHi   uint64
	user   *userMap // optional: user-space code by one process's mappings
}

func loadSymbols(kallsyms, gobin string) (*symbols, error) {
	s := &symbols{}
	if kallsyms != "" {
		f, err := os.Open(kallsyms)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			p := strings.Fields(sc.Text())
			if len(p) < 3 || (p[1] != "t" && p[1] != "T") {
				continue
			}
			a, err := strconv.ParseUint(p[0], 16, 64)
			if err != nil || a == 0 {
				continue
			}
			name := p[2]
			if len(p) > 3 {
				name += " " + p[3]
			}
			s.kernel = append(s.kernel, sym{a, name})
		}
		sort.Slice(s.kernel, func(i, j int) bool { return s.kernel[i].addr < s.kernel[j].addr })
	}
	if gobin != "" {
		f, err := elf.Open(gobin)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		if t := f.Section(".text"); t != nil {
			s.goLo, s.goHi = t.Addr, t.Addr+t.Size
		}
		es, err := f.Symbols()
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if elf.ST_TYPE(e.Info) == elf.STT_FUNC {
				s.gotext = append(s.gotext, sym{e.Value, "go:" + e.Name})
			}
		}
		sort.Slice(s.gotext, func(i, j int) bool { return s.gotext[i].addr < s.gotext[j].addr })
	}
	return s, nil
}

func find(tab []sym, a uint64) string {
	i := sort.Search(len(tab), func(i int) bool { return tab[i].addr > a }) - 1
	if i < 0 {
		return "?"
	}
	return tab[i].name
}

// name returns the symbol of a block address.
func (s *symbols) name(a uint64) string {
	switch {
	case a >= 0xffff800000000000:
		if len(s.kernel) == 0 {
			return "[kernel]"
		}
		return find(s.kernel, a)
	case a >= s.goLo && a < s.goHi && len(s.gotext) > 0:
		return find(s.gotext, a)
	case a < 0x1000000:
		return "[static binary]"
	}
	if s.user != nil {
		if n, ok := s.user.name(a); ok {
			return n
		}
	}
	return "[user, dynamic]"
}

// dynamicUser reports whether a is user-space code outside the Go
// bootloader and static binaries (dynamically linked programs: the OS).
func (s *symbols) dynamicUser(a uint64) bool {
	return a < 0xffff800000000000 && a >= 0x1000000 && !(a >= s.goLo && a < s.goHi && len(s.gotext) > 0)
}

// bucket groups a symbol: its module, Go, user space or the kernel.
func bucket(name string) string {
	switch {
	case strings.HasPrefix(name, "go:"):
		return "go"
	case strings.HasPrefix(name, "["):
		return name
	case strings.Contains(name, " ["):
		return name[strings.Index(name, " [")+1:]
	}
	return "[kernel]"
}
