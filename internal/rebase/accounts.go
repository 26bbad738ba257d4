package rebase

import (
	"sort"
	"strconv"
	"strings"
)

// accountDB is one of passwd, group, shadow, gshadow: colon-separated
// records keyed by their first field. Lines that are not records (blank,
// comments, "+" NIS entries) are kept verbatim.
type accountDB struct {
	lines [][]string // fields; a nil-name line holds its raw text in fields[0] with raw=true
	raw   []bool
}

// parseAccounts parses an account database; it never fails: what it cannot
// read as a record is carried through unchanged.
func parseAccounts(data string) *accountDB {
	db := &accountDB{}
	for _, l := range strings.Split(strings.TrimSuffix(data, "\n"), "\n") {
		if data == "" {
			break
		}
		if l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, "+") || strings.HasPrefix(l, "-") || !strings.Contains(l, ":") {
			db.lines, db.raw = append(db.lines, []string{l}), append(db.raw, true)
			continue
		}
		db.lines, db.raw = append(db.lines, strings.Split(l, ":")), append(db.raw, false)
	}
	return db
}

func (db *accountDB) String() string {
	var b strings.Builder
	for _, f := range db.lines {
		b.WriteString(strings.Join(f, ":"))
		b.WriteByte('\n')
	}
	return b.String()
}

// find returns the record index of name, or -1.
func (db *accountDB) find(name string) int {
	for i, f := range db.lines {
		if !db.raw[i] && f[0] == name {
			return i
		}
	}
	return -1
}

func (db *accountDB) add(fields []string) {
	db.lines, db.raw = append(db.lines, append([]string(nil), fields...)), append(db.raw, false)
}

// records calls fn for every record with at least n fields.
func (db *accountDB) records(n int, fn func(i int, f []string)) {
	for i, f := range db.lines {
		if !db.raw[i] && len(f) >= n {
			fn(i, f)
		}
	}
}

// id parses the numeric field k of a record (ok false if absent or bad).
func id(f []string, k int) (uint32, bool) {
	if k >= len(f) {
		return 0, false
	}
	v, err := strconv.ParseUint(f[k], 10, 32)
	return uint32(v), err == nil
}

// idAlloc hands out free ids above every id in use. Ids from 65534 up
// (nobody/nogroup, (uid_t)-1) do not count, so that new ids stay in the
// normal range (the original took max(local)+1, which is 65535 on any
// system with a local nobody).
type idAlloc struct {
	used map[uint32]bool
	next uint32
}

const idCeiling = 65534

func newIDAlloc() *idAlloc { return &idAlloc{used: map[uint32]bool{}} }

func (a *idAlloc) use(v uint32) {
	a.used[v] = true
	if v < idCeiling && v >= a.next {
		a.next = v + 1
	}
}

func (a *idAlloc) take() uint32 {
	for a.used[a.next] {
		a.next++
	}
	v := a.next
	a.use(v)
	return v
}

// members splits a comma-separated member list.
func members(s string) []string {
	var out []string
	for _, m := range strings.Split(s, ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	return out
}

// unionMembers appends to local the members of up it lacks.
func unionMembers(local, up string) (string, []string) {
	have := map[string]bool{}
	l := members(local)
	for _, m := range l {
		have[m] = true
	}
	var added []string
	for _, m := range members(up) {
		if !have[m] {
			have[m] = true
			l = append(l, m)
			added = append(added, m)
		}
	}
	return strings.Join(l, ","), added
}

// IDMap maps published (upstream) ids to local ids.
type IDMap map[uint32]uint32

// String renders the CVMFS_UID_MAP/CVMFS_GID_MAP file format.
func (m IDMap) String() string {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(strconv.FormatUint(uint64(k), 10) + " " + strconv.FormatUint(uint64(m[k]), 10) + "\n")
	}
	return b.String()
}
