package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	topDirs   = 100
	subDirs   = 10
	symEvery  = 997
	baseMtime = 1700000000
	minSize   = 64
	maxSize   = 64 << 10
)

type config struct {
	out     string
	files   int
	bytes   int64
	seed    uint64
	mutate  int
	workers int
}

type stats struct {
	files, symlinks int
	bytes           int64
}

// sizes returns the file sizes: log-uniform, scaled to sum exactly to total.
func sizes(c config) []int64 {
	r := rand.New(rand.NewPCG(c.seed, 0x51e5))
	raw := make([]float64, c.files)
	sum := 0.0
	for i := range raw {
		raw[i] = math.Exp(math.Log(minSize) + r.Float64()*(math.Log(maxSize)-math.Log(minSize)))
		sum += raw[i]
	}
	out := make([]int64, c.files)
	var acc int64
	for i, v := range raw {
		out[i] = max(1, int64(v*float64(c.bytes)/sum))
		acc += out[i]
	}
	out[len(out)-1] = max(1, out[len(out)-1]+c.bytes-acc)
	return out
}

func dirOf(i int) string {
	return filepath.Join(fmt.Sprintf("d%02d", (i/1000)%topDirs), fmt.Sprintf("s%d", (i/100)%subDirs))
}

func nameOf(i int) string {
	if i%2 == 0 {
		return fmt.Sprintf("f%06d.txt", i)
	}
	return fmt.Sprintf("f%06d.bin", i)
}

func mutated(c config, i int) bool { return c.mutate > 0 && i%100 == (7*c.mutate)%100 }

func run(c config) (stats, error) {
	if c.mutate > 0 {
		if _, err := os.Stat(filepath.Join(c.out, dirOf(0), nameOf(0))); err != nil {
			return stats{}, fmt.Errorf("-mutate needs an existing tree in %s (run without -mutate first): %w", c.out, err)
		}
	} else if err := mkdirs(c.out); err != nil {
		return stats{}, err
	}
	sz := sizes(c)
	corpus := makeCorpus(c.seed)
	var st stats
	var written, nbytes, nsym atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for w := range max(1, c.workers) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 0, maxSize)
			for i := w; i < c.files; i += max(1, c.workers) {
				if c.mutate > 0 && !mutated(c, i) {
					continue
				}
				b, sym, err := writeFile(c, i, sz[i], corpus, buf)
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				written.Add(1)
				nbytes.Add(int64(b))
				nsym.Add(int64(sym))
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return st, firstErr
	}
	if c.mutate == 0 {
		if err := stampDirs(c.out); err != nil {
			return st, err
		}
	}
	st.files, st.bytes, st.symlinks = int(written.Load()), nbytes.Load(), int(nsym.Load())
	return st, nil
}

func mkdirs(out string) error {
	if err := os.Mkdir(out, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	for t := range topDirs {
		for s := range subDirs {
			if err := os.MkdirAll(filepath.Join(out, fmt.Sprintf("d%02d", t), fmt.Sprintf("s%d", s)), 0o755); err != nil {
				return err
			}
		}
	}
	return nil
}

func stampDirs(out string) error {
	mt := time.Unix(baseMtime, 0)
	for t := range topDirs {
		top := filepath.Join(out, fmt.Sprintf("d%02d", t))
		for s := range subDirs {
			if err := os.Chtimes(filepath.Join(top, fmt.Sprintf("s%d", s)), mt, mt); err != nil {
				return err
			}
		}
		if err := os.Chtimes(top, mt, mt); err != nil {
			return err
		}
	}
	return os.Chtimes(out, mt, mt)
}

// writeFile writes file i (and its symlink); it returns bytes and symlinks.
func writeFile(c config, i int, size int64, corpus []byte, buf []byte) (int, int, error) {
	buf = content(c, i, size, corpus, buf[:0])
	dir := filepath.Join(c.out, dirOf(i))
	p := filepath.Join(dir, nameOf(i))
	if err := os.WriteFile(p, buf, 0o644); err != nil {
		return 0, 0, err
	}
	mt := time.Unix(baseMtime+int64(i)+int64(c.mutate), 0)
	if err := os.Chtimes(p, mt, mt); err != nil {
		return 0, 0, err
	}
	if c.mutate > 0 || i%symEvery != symEvery-1 {
		return len(buf), 0, nil
	}
	l := filepath.Join(dir, fmt.Sprintf("l%06d", i))
	os.Remove(l)
	if err := os.Symlink(nameOf(i), l); err != nil {
		return 0, 0, err
	}
	return len(buf), 1, nil
}

// content returns the bytes of file i in mutation round c.mutate.
func content(c config, i int, size int64, corpus []byte, buf []byte) []byte {
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[0:], c.seed)
	binary.LittleEndian.PutUint64(seed[8:], uint64(i))
	binary.LittleEndian.PutUint64(seed[16:], uint64(c.mutate))
	r := rand.NewChaCha8(seed)
	if i%2 == 1 {
		buf = buf[:size]
		r.Read(buf)
		return buf
	}
	head := fmt.Sprintf("# file %d round %d\n", i, c.mutate)
	buf = append(buf, head...)
	for int64(len(buf)) < size {
		off := int(r.Uint64() % uint64(len(corpus)-4096))
		buf = append(buf, corpus[off:off+min(4096, int(size)-len(buf))]...)
	}
	return buf[:size]
}

// makeCorpus returns 1 MiB of source-code-like text.
func makeCorpus(seed uint64) []byte {
	words := strings.Fields(`int void return if else for while struct const static char unsigned
		include define namespace class public private template typename auto size_t std vector
		string map buffer count index value result error status config path file data length
		begin end next prev node list tree hash table lock mutex thread init free alloc copy`)
	r := rand.New(rand.NewPCG(seed, 0xc0de))
	var b strings.Builder
	for b.Len() < 1<<20 {
		indent := r.IntN(4)
		b.WriteString(strings.Repeat("    ", indent))
		for w := 3 + r.IntN(8); w > 0; w-- {
			b.WriteString(words[r.IntN(len(words))])
			if w > 1 {
				b.WriteByte(' ')
			}
		}
		b.WriteString(";\n")
	}
	return []byte(b.String())
}
