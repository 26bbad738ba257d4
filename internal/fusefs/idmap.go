package fusefs

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// IDMap maps catalog uids or gids to local ones (CVMFS_UID_MAP/GID_MAP);
// Default (when HasDefault) replaces ids not listed. A nil map is identity.
type IDMap struct {
	IDs        map[uint32]uint32
	Default    uint32
	HasDefault bool
}

// Map returns the local id of a catalog id.
func (m IDMap) Map(id uint32) uint32 {
	if v, ok := m.IDs[id]; ok {
		return v
	}
	if m.HasDefault {
		return m.Default
	}
	return id
}

// ParseIDMap parses the map file format of the real client: one
// "<catalog id> <local id>" pair per line, "*" as catalog id for the
// default, "#" comments.
func ParseIDMap(data string) (IDMap, error) {
	m := IDMap{IDs: map[uint32]uint32{}}
	sc := bufio.NewScanner(strings.NewReader(data))
	for ln := 1; sc.Scan(); ln++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return IDMap{}, fmt.Errorf("id map line %d: want \"<from> <to>\", got %q", ln, sc.Text())
		}
		to, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil {
			return IDMap{}, fmt.Errorf("id map line %d: bad id %q", ln, f[1])
		}
		if f[0] == "*" {
			m.Default, m.HasDefault = uint32(to), true
			continue
		}
		from, err := strconv.ParseUint(f[0], 10, 32)
		if err != nil {
			return IDMap{}, fmt.Errorf("id map line %d: bad id %q", ln, f[0])
		}
		m.IDs[uint32(from)] = uint32(to)
	}
	return m, sc.Err()
}

// LoadIDMap reads a map file; an empty path is the identity map.
func LoadIDMap(path string) (IDMap, error) {
	if path == "" {
		return IDMap{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return IDMap{}, fmt.Errorf("read id map: %w", err)
	}
	m, err := ParseIDMap(string(data))
	if err != nil {
		return IDMap{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
