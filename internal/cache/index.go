package cache

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/ucvm/ucvm/internal/reader"
)

const (
	indexFile   = "cacheindex"
	indexHeader = "ucvm-cache-index 1"
)

// loadIndex reads the clean index written by the last Close and removes it,
// so that a crash of this process forces a rescan next time.
func (c *Cache) loadIndex() error {
	p := filepath.Join(c.dir, indexFile)
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		return err
	}
	es, err := parseIndex(data)
	if err != nil {
		return err
	}
	for _, e := range es { // oldest first
		c.add(e.key, e.size, e.kind, e.desc)
	}
	return nil
}

// parseIndex decodes an index file: a header line, then one line per entry
// "key<TAB>size<TAB>kind<TAB>quoted description", least recently used first.
func parseIndex(data []byte) ([]entry, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	if !sc.Scan() || sc.Text() != indexHeader {
		return nil, errors.New("cache index: bad header")
	}
	var out []entry
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "\t", 4)
		if len(f) != 4 || len(f[0]) < 3 || strings.ContainsAny(f[0], "/.") {
			return nil, fmt.Errorf("cache index: bad line %q", sc.Text())
		}
		size, err1 := strconv.ParseInt(f[1], 10, 64)
		kind, err2 := strconv.Atoi(f[2])
		desc, err3 := strconv.Unquote(f[3])
		if err := errors.Join(err1, err2, err3); err != nil || size < 0 || kind < 0 || kind > 1 {
			return nil, fmt.Errorf("cache index: bad line %q", sc.Text())
		}
		out = append(out, entry{key: f[0], size: size, kind: reader.ObjectKind(kind), desc: desc})
	}
	return out, sc.Err()
}

// saveIndex writes the index (c.mu held) to a temporary name and renames it.
func (c *Cache) saveIndex() error {
	var b bytes.Buffer
	b.WriteString(indexHeader + "\n")
	for el := c.lru.Back(); el != nil; el = el.Prev() {
		e := el.Value.(*entry)
		fmt.Fprintf(&b, "%s\t%d\t%d\t%s\n", e.key, e.size, e.kind, strconv.Quote(e.desc))
	}
	return writeAtomic(filepath.Join(c.dir, indexFile), b.Bytes(), 0o600)
}

// scan rebuilds the index from the objects on disk, ordered by mtime.
func (c *Cache) scan() error {
	type found struct {
		key   string
		size  int64
		mtime int64
	}
	var all []found
	dirs, err := os.ReadDir(c.dir)
	if err != nil {
		return fmt.Errorf("cache: scan %s: %w", c.dir, err)
	}
	for _, d := range dirs {
		if !d.IsDir() || len(d.Name()) != 2 {
			continue
		}
		ents, err := os.ReadDir(filepath.Join(c.dir, d.Name()))
		if err != nil {
			return fmt.Errorf("cache: scan: %w", err)
		}
		for _, e := range ents {
			info, err := e.Info()
			if err != nil || !info.Mode().IsRegular() {
				continue
			}
			all = append(all, found{d.Name() + e.Name(), info.Size(), info.ModTime().UnixNano()})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].mtime < all[j].mtime })
	for _, f := range all {
		c.add(f.key, f.size, reader.KindRegular, "")
	}
	return nil
}

// writeAtomic writes data to path via a temporary file and rename.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(f.Name(), perm)
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
