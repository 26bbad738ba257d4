package kernel

import (
	"testing"
)

func FuzzParseModulesDep(f *testing.F) {
	f.Add([]byte("kernel/fs/ext4/ext4.ko: kernel/fs/jbd2/jbd2.ko kernel/fs/mbcache.ko\nkernel/fs/jbd2/jbd2.ko:\nkernel/fs/mbcache.ko:\n"))
	f.Add([]byte("a.ko: b.ko\nb.ko: a.ko\n"))
	f.Add([]byte("../x.ko:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := ParseModulesDep(data)
		if err != nil {
			return
		}
		for _, n := range db.Names() {
			// Closure must terminate (cycles are errors) and only name known paths.
			order, err := db.Closure([]string{n})
			if err != nil {
				continue
			}
			for _, p := range order {
				if _, ok := db.Path[ModuleName(p)]; !ok {
					t.Fatalf("closure invented %q", p)
				}
			}
		}
	})
}

func FuzzPayload(f *testing.F) {
	hdr := make([]byte, 0x300)
	copy(hdr[0x202:], "HdrS")
	hdr[0x1f1] = 0
	f.Add(hdr)
	f.Add([]byte("not a kernel"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, comp, err := Payload(data)
		if err == nil && (len(p) == 0 || comp == "") {
			t.Fatal("empty payload accepted")
		}
	})
}

func TestModulesDepCycle(t *testing.T) {
	db, err := ParseModulesDep([]byte("a.ko: b.ko\nb.ko: a.ko\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Closure([]string{"a"}); err == nil {
		t.Fatal("cycle not detected")
	}
	if _, err := ParseModulesDep([]byte("/abs.ko:\n")); err == nil {
		t.Fatal("absolute path accepted")
	}
}
