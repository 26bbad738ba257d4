package rebase

import (
	"strings"
	"testing"
)

func db(lines ...string) *accountDB { return parseAccounts(strings.Join(lines, "\n") + "\n") }

func TestMergeAccountsRules(t *testing.T) {
	local := accountSet{
		passwd: db("root:x:0:0:root:/root:/bin/sh", "alice:x:1000:1000::/home/alice:/bin/sh",
			"svc:x:150:150::/:/bin/false", "nobody:x:65534:65534::/:/bin/false"),
		group:   db("root:x:0:", "alice:x:1000:", "svc:x:150:", "audio:x:29:alice", "nogroup:x:65534:"),
		shadow:  db("root:*:1::::::", "alice:$6$x:1::::::", "svc:!:1::::::"),
		gshadow: db("root:*::", "alice:!::", "svc:!::", "audio:*::alice"),
	}
	up := accountSet{
		passwd: db("root:x:0:0:root:/root:/bin/sh", "svc:x:120:120::/:/bin/false", // same name, other uid/gid
			"daemon2:x:1000:1001::/:/bin/false",  // new, uid collides with local alice
			"messagebus:x:101:150::/:/bin/false", // new, primary group collides with local svc gid
			"nobody:x:65534:65534::/:/bin/false"),
		group:   db("root:x:0:", "svc:x:120:", "audio:x:29:pulse", "daemon2:x:1000:", "messagebus:x:150:", "nogroup:x:65534:"),
		shadow:  db("root:*:2::::::", "svc:*:2::::::", "daemon2:*:2::::::", "messagebus:*:2::::::"),
		gshadow: db("root:*::", "audio:*:adm:pulse", "daemon2:!::", "messagebus:!::"),
	}
	var log []string
	r := mergeAccounts(local, up, func(f string, a ...any) { log = append(log, f) })
	if got, want := r.uidMap.String(), "120 150\n1000 1001\n"; got != want {
		t.Errorf("uid map %q, want %q", got, want)
	}
	// group svc 120 -> local 150; new daemon2 gid 1000 collides with alice -> 1001;
	// new messagebus gid 150 collides with local svc -> 1002.
	if got, want := r.gidMap.String(), "120 150\n150 1002\n1000 1001\n"; got != want {
		t.Errorf("gid map %q, want %q", got, want)
	}
	pw := local.passwd.String()
	for _, l := range []string{"alice:x:1000:1000:", "svc:x:150:150:", "daemon2:x:1001:1001:", "messagebus:x:101:1002:"} {
		contains(t, "passwd", pw, l)
	}
	if strings.Count(pw, "root:x:0:0") != 1 || strings.Count(pw, "nobody:x") != 1 {
		t.Errorf("duplicate entries:\n%s", pw)
	}
	gr := local.group.String()
	for _, l := range []string{"audio:x:29:alice,pulse\n", "daemon2:x:1001:\n", "messagebus:x:1002:\n", "svc:x:150:\n"} {
		contains(t, "group", gr, l)
	}
	sh := local.shadow.String()
	contains(t, "shadow", sh, "root:*:1::::::") // local wins
	contains(t, "shadow", sh, "daemon2:*:2::::::")
	contains(t, "shadow", sh, "messagebus:*:2::::::")
	if strings.Contains(sh, "svc:*:2") {
		t.Error("shadow entry of an existing user replaced")
	}
	gs := local.gshadow.String()
	contains(t, "gshadow", gs, "audio:*:adm:alice,pulse")
	contains(t, "gshadow", gs, "daemon2:!::")
	if len(log) == 0 {
		t.Error("nothing logged")
	}
}

func TestMergeNoCollisionIsIdentity(t *testing.T) {
	same := "root:x:0:0:root:/root:/bin/sh\nbin:x:1:1::/:/bin/false\n"
	local, up := accountSet{passwd: parseAccounts(same)}, accountSet{passwd: parseAccounts(same)}
	r := mergeAccounts(local, up, func(string, ...any) {})
	if len(r.uidMap)+len(r.gidMap) != 0 || local.passwd.String() != same {
		t.Fatalf("maps %v %v, passwd %q", r.uidMap, r.gidMap, local.passwd.String())
	}
}

func TestIDAllocSkipsNobody(t *testing.T) {
	a := newIDAlloc()
	for _, v := range []uint32{0, 1000, 65534, 4294967294} {
		a.use(v)
	}
	if got := a.take(); got != 1001 {
		t.Fatalf("next id %d, want 1001", got)
	}
}

// FuzzParseAccounts: any bytes parse, render back unchanged (modulo a final
// newline), and merge with themselves without maps.
func FuzzParseAccounts(f *testing.F) {
	f.Add("root:x:0:0:root:/root:/bin/bash\n+::::::\n# comment\n\nbad line\n")
	f.Add("audio:x:29:a,b,,c\nx:y\n")
	f.Add(":::\n::\n")
	f.Add("a:x:99999999999:1\n")
	f.Fuzz(func(t *testing.T, s string) {
		if strings.Contains(s, "\r") {
			return
		}
		d := parseAccounts(s)
		want := s
		if want != "" && !strings.HasSuffix(want, "\n") {
			want += "\n"
		}
		if got := d.String(); got != want {
			t.Fatalf("round trip %q -> %q", s, got)
		}
		up := parseAccounts(s)
		mergeAccounts(accountSet{passwd: d, group: parseAccounts(s)}, accountSet{passwd: up, group: parseAccounts(s)}, func(string, ...any) {})
	})
}
