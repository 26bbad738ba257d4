package clientconfig

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// IDMap maps catalog uids or gids to local ones (CVMFS_UID_MAP,
// CVMFS_GID_MAP files: "<from> <to>" lines, "*" as from for all others,
// "#" comments).
type IDMap struct {
	IDs        map[uint32]uint32
	Default    uint32
	HasDefault bool
}

// Map returns the mapped id.
func (m *IDMap) Map(id uint32) uint32 {
	if m == nil {
		return id
	}
	if v, ok := m.IDs[id]; ok {
		return v
	}
	if m.HasDefault {
		return m.Default
	}
	return id
}

// ReadIDMap reads and parses an id map file.
func ReadIDMap(path string) (*IDMap, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("id map: %w", err)
	}
	return ParseIDMap(path, b)
}

// ParseIDMap parses id map content; name is used in errors.
func ParseIDMap(name string, b []byte) (*IDMap, error) {
	m := &IDMap{IDs: map[uint32]uint32{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 2 {
			return nil, fmt.Errorf("%w: %s:%d: want \"<from id> <to id>\" (or \"* <id>\"), got %q", ErrBadValue, name, n, line)
		}
		to, err := strconv.ParseUint(f[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %q is not a numeric id", ErrBadValue, name, n, f[1])
		}
		if f[0] == "*" {
			m.Default, m.HasDefault = uint32(to), true
			continue
		}
		from, err := strconv.ParseUint(f[0], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: %s:%d: %q is not a numeric id or *", ErrBadValue, name, n, f[0])
		}
		m.IDs[uint32(from)] = uint32(to)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadValue, name, err)
	}
	return m, nil
}
