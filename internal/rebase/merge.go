package rebase

import "strconv"

// accountSet is the four account databases of one /etc.
type accountSet struct {
	passwd, group, shadow, gshadow *accountDB
}

// mergeResult is the merged local set and the id maps.
type mergeResult struct {
	set            accountSet
	uidMap, gidMap IDMap
}

// mergeAccounts merges the new OS's databases (up) into the local ones,
// with the rules of the original merge_accounts: local entries always win;
// a group or user of the same name but another id maps the published id to
// the local one; a new group or user whose id is taken locally gets a free
// id (mapped); new entries are appended; group members are unioned (group
// and gshadow); new users' primary groups follow the gid map; shadow and
// gshadow only get the entries of new users and groups. local and up are
// modified in place.
func mergeAccounts(local, up accountSet, logf func(string, ...any)) mergeResult {
	r := mergeResult{set: local, uidMap: IDMap{}, gidMap: IDMap{}}
	newGroups := mergeGroups(local.group, up.group, r.gidMap, logf)
	newUsers := mergeUsers(local.passwd, up.passwd, r.uidMap, r.gidMap, logf)
	appendSecrets(local.shadow, up.shadow, newUsers, "shadow", logf)
	appendSecrets(local.gshadow, up.gshadow, newGroups, "gshadow", logf)
	unionGshadow(local.gshadow, up.gshadow, newGroups, logf)
	return r
}

func mergeGroups(local, up *accountDB, gidMap IDMap, logf func(string, ...any)) map[string]bool {
	added := map[string]bool{}
	if local == nil || up == nil {
		return added
	}
	alloc := newIDAlloc()
	byGID := map[uint32]string{}
	local.records(3, func(_ int, f []string) {
		if g, ok := id(f, 2); ok {
			alloc.use(g)
			byGID[g] = f[0]
		}
	})
	up.records(3, func(_ int, f []string) {
		if g, ok := id(f, 2); ok {
			alloc.use(g)
		}
	})
	up.records(3, func(_ int, f []string) {
		g, ok := id(f, 2)
		if !ok {
			return
		}
		if i := local.find(f[0]); i >= 0 {
			lf := local.lines[i]
			if lg, ok := id(lf, 2); ok && lg != g {
				gidMap[g] = lg
				logf("group %s: published gid %d mapped to local gid %d", f[0], g, lg)
			}
			if len(lf) >= 4 && len(f) >= 4 {
				var more []string
				lf[3], more = unionMembers(lf[3], f[3])
				if len(more) > 0 {
					logf("group %s: members %v added", f[0], more)
				}
			}
			return
		}
		nf := append([]string(nil), f...)
		if other, taken := byGID[g]; taken {
			ng := alloc.take()
			nf[2] = strconv.FormatUint(uint64(ng), 10)
			gidMap[g] = ng
			logf("group %s: new, gid %d is local group %s, gets gid %d", f[0], g, other, ng)
		} else {
			logf("group %s: new (gid %d)", f[0], g)
		}
		byGID[g] = f[0]
		local.add(nf)
		added[f[0]] = true
	})
	return added
}

func mergeUsers(local, up *accountDB, uidMap, gidMap IDMap, logf func(string, ...any)) map[string]bool {
	added := map[string]bool{}
	if local == nil || up == nil {
		return added
	}
	alloc := newIDAlloc()
	byUID := map[uint32]string{}
	local.records(4, func(_ int, f []string) {
		if u, ok := id(f, 2); ok {
			alloc.use(u)
			byUID[u] = f[0]
		}
	})
	up.records(4, func(_ int, f []string) {
		if u, ok := id(f, 2); ok {
			alloc.use(u)
		}
	})
	up.records(4, func(_ int, f []string) {
		u, ok := id(f, 2)
		if !ok {
			return
		}
		if i := local.find(f[0]); i >= 0 {
			if lu, ok := id(local.lines[i], 2); ok && lu != u {
				uidMap[u] = lu
				logf("user %s: published uid %d mapped to local uid %d", f[0], u, lu)
			}
			return
		}
		nf := append([]string(nil), f...)
		if other, taken := byUID[u]; taken {
			nu := alloc.take()
			nf[2] = strconv.FormatUint(uint64(nu), 10)
			uidMap[u] = nu
			logf("user %s: new, uid %d is local user %s, gets uid %d", f[0], u, other, nu)
		} else {
			logf("user %s: new (uid %d)", f[0], u)
		}
		if g, ok := id(f, 3); ok {
			if lg, remapped := gidMap[g]; remapped {
				nf[3] = strconv.FormatUint(uint64(lg), 10)
				logf("user %s: primary gid %d -> %d", f[0], g, lg)
			}
		}
		byUID[u] = f[0]
		local.add(nf)
		added[f[0]] = true
	})
	return added
}

// appendSecrets appends the up entries of the names in added.
func appendSecrets(local, up *accountDB, added map[string]bool, what string, logf func(string, ...any)) {
	if local == nil || up == nil {
		return
	}
	up.records(2, func(_ int, f []string) {
		if added[f[0]] && local.find(f[0]) < 0 {
			local.add(f)
			logf("%s %s: new entry", what, f[0])
		}
	})
}

// unionGshadow unions admins and members of groups both sides have.
func unionGshadow(local, up *accountDB, added map[string]bool, logf func(string, ...any)) {
	if local == nil || up == nil {
		return
	}
	up.records(4, func(_ int, f []string) {
		i := local.find(f[0])
		if added[f[0]] || i < 0 || len(local.lines[i]) < 4 {
			return
		}
		lf := local.lines[i]
		var a, m []string
		lf[2], a = unionMembers(lf[2], f[2])
		lf[3], m = unionMembers(lf[3], f[3])
		if len(a)+len(m) > 0 {
			logf("gshadow %s: admins %v members %v added", f[0], a, m)
		}
	})
}
