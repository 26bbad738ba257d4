package cache

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

const pinsFile = "pins.json"

// ErrPinTooLarge: pinning would leave no room for the working set.
var ErrPinTooLarge = errors.New("pinned objects would exceed half the cache quota")

// Pin makes the objects of a path (the file's object or its chunks) non-evictable,
// persistently. Objects not yet cached are pinned once they are committed.
func (c *Cache) Pin(path string, objs []hash.Hash, size int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limit > 0 {
		var pinned int64
		for _, e := range c.entries {
			if c.pinned[e.key] > 0 {
				pinned += e.size
			}
		}
		if pinned+size > c.limit/2 {
			return fmt.Errorf("%w: %s needs %d bytes, %d already pinned, quota %d (raise CVMFS_QUOTA_LIMIT)",
				ErrPinTooLarge, path, size, pinned, c.limit)
		}
	}
	if _, ok := c.pins[path]; ok {
		return nil
	}
	keys := make([]string, len(objs))
	for i, h := range objs {
		keys[i] = h.String()
		c.pinned[keys[i]]++
	}
	c.pins[path] = keys
	return c.savePins()
}

// Unpin removes the pin of path.
func (c *Cache) Unpin(path string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys, ok := c.pins[path]
	if !ok {
		return nil
	}
	for _, k := range keys {
		if c.pinned[k]--; c.pinned[k] <= 0 {
			delete(c.pinned, k)
		}
	}
	delete(c.pins, path)
	return c.savePins()
}

// Pins lists the pinned paths, sorted.
func (c *Cache) Pins() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.pins))
	for p := range c.pins {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func (c *Cache) savePins() error {
	data, err := json.MarshalIndent(c.pins, "", " ")
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(c.dir, pinsFile), data, 0o600)
}

func (c *Cache) loadPins() error {
	data, err := os.ReadFile(filepath.Join(c.dir, pinsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var pins map[string][]string
	if err := json.Unmarshal(data, &pins); err != nil {
		return fmt.Errorf("%s: %w", pinsFile, err)
	}
	for p, keys := range pins {
		c.pins[p] = keys
		for _, k := range keys {
			c.pinned[k]++
		}
	}
	return nil
}
