package rebase

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/ucvm/ucvm/internal/userdata"
)

var accountFiles = []string{"passwd", "group", "shadow", "gshadow"}

// loaded is one account file as read from disk.
type loaded struct {
	db   *accountDB
	data []byte
	mode os.FileMode
	uid  int
	gid  int
}

func loadAccountFile(path string) (*loaded, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil // whiteout or odd entry: treated as absent
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	l := &loaded{db: parseAccounts(string(b)), data: b, mode: fi.Mode().Perm(), uid: -1, gid: -1}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		l.uid, l.gid = int(st.Uid), int(st.Gid)
	}
	return l, nil
}

// mergeFiles merges upper/etc account files with lower/etc ones when the
// upper layer has any of them, and writes the id maps.
func mergeFiles(o Options, id string, res *Result) error {
	lg := &logFile{}
	lg.printf("account merge %s: local %s, new OS %s", id, filepath.Join(o.Upper, "etc"), filepath.Join(o.Lower, "etc"))
	local, up := map[string]*loaded{}, map[string]*loaded{}
	any := false
	for _, n := range accountFiles {
		var err error
		if local[n], err = loadAccountFile(filepath.Join(o.Upper, "etc", n)); err != nil {
			return fmt.Errorf("account merge: %w", err)
		}
		if up[n], err = loadAccountFile(filepath.Join(o.Lower, "etc", n)); err != nil {
			return fmt.Errorf("account merge: %w", err)
		}
		any = any || local[n] != nil
	}
	res.AccountLog = filepath.Join(o.Aux, "account_merge-"+id+".log")
	if !any {
		lg.printf("no local account databases: nothing to merge")
		return userdata.WriteFileAtomic(res.AccountLog, []byte(lg.String()), 0o644)
	}
	for _, n := range accountFiles {
		if local[n] == nil && up[n] != nil { // spec: copy from the new OS if missing
			c := *up[n]
			c.db = parseAccounts(string(c.data))
			local[n] = &c
			lg.printf("%s: no local copy, taken from the new OS", n)
		} else if local[n] != nil {
			if err := userdata.WriteFileAtomic(filepath.Join(o.Aux, n+".backup."+id), local[n].data, 0o600); err != nil {
				return err
			}
		}
	}
	set := func(m map[string]*loaded) accountSet {
		g := func(n string) *accountDB {
			if m[n] == nil {
				return nil
			}
			return m[n].db
		}
		return accountSet{g("passwd"), g("group"), g("shadow"), g("gshadow")}
	}
	before := countRecords(local)
	r := mergeAccounts(set(local), set(up), lg.printf)
	after := countRecords(local)
	res.UsersAdded, res.GroupsAdded = after["passwd"]-before["passwd"], after["group"]-before["group"]
	for _, n := range accountFiles {
		if local[n] == nil {
			continue
		}
		if err := writeAccountFile(filepath.Join(o.Upper, "etc", n), local[n]); err != nil {
			return err
		}
	}
	if err := writeMaps(o.Aux, id, r, res); err != nil {
		return err
	}
	lg.printf("users added %d, groups added %d, uid map %d entries, gid map %d entries",
		res.UsersAdded, res.GroupsAdded, res.UIDMapEntries, res.GIDMapEntries)
	return userdata.WriteFileAtomic(res.AccountLog, []byte(lg.String()), 0o644)
}

func countRecords(m map[string]*loaded) map[string]int {
	c := map[string]int{}
	for n, l := range m {
		if l != nil {
			l.db.records(1, func(int, []string) { c[n]++ })
		}
	}
	return c
}

// writeAccountFile replaces path atomically, keeping mode and owner.
func writeAccountFile(path string, l *loaded) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := userdata.WriteFileAtomic(path, []byte(l.db.String()), l.mode); err != nil {
		return err
	}
	if l.uid >= 0 {
		if err := os.Lchown(path, l.uid, l.gid); err != nil {
			return fmt.Errorf("chown %s: %w", path, err)
		}
	}
	return nil
}

// writeMaps writes aux/uid_map and aux/gid_map, keeping non-empty old
// maps as *.backup.<id>.
func writeMaps(aux, id string, r mergeResult, res *Result) error {
	for _, m := range []struct {
		name string
		ids  IDMap
		path *string
		n    *int
	}{{"uid_map", r.uidMap, &res.UIDMap, &res.UIDMapEntries}, {"gid_map", r.gidMap, &res.GIDMap, &res.GIDMapEntries}} {
		p := filepath.Join(aux, m.name)
		if old, err := os.ReadFile(p); err == nil && len(old) > 0 {
			if err := userdata.WriteFileAtomic(p+".backup."+id, old, 0o644); err != nil {
				return err
			}
		}
		if err := userdata.WriteFileAtomic(p, []byte(m.ids.String()), 0o644); err != nil {
			return err
		}
		*m.path, *m.n = p, len(m.ids)
	}
	return nil
}
