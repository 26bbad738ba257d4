package catwrite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/catalog/catwrite"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

func TestWriteRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.db")
	w, err := catwrite.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	h := hash.Sum(hash.SHA1, []byte("x"))
	entries := []*catalog.Entry{
		{Path: "", Mode: catalog.ModeDir | 0o755, Size: 4096, Flags: catalog.FlagDir, Hardlinks: 3, MtimeNs: -1},
		{Path: "/f", Name: "f", Mode: catalog.ModeRegular | 0o4755, Size: 1, Flags: catalog.FlagFile, Hash: h, Hardlinks: 1, UID: 7, GID: 8, MtimeNs: 12},
		{Path: "/l", Name: "l", Mode: catalog.ModeSymlink | 0o777, Size: 11, Flags: catalog.FlagFile | catalog.FlagLink, Symlink: "$(X:-a)/b", Hardlinks: 1, MtimeNs: -1},
		{Path: "/c", Name: "c", Mode: catalog.ModeChar | 0o666, Size: int64(catalog.Makedev(1, 3)), Flags: catalog.FlagFile | catalog.FlagFileSpecial, Hardlinks: 1, MtimeNs: -1},
		{Path: "/big", Name: "big", Mode: catalog.ModeRegular | 0o644, Size: 10, Flags: catalog.FlagFile | catalog.FlagFileChunk, Hardlinks: 1, MtimeNs: -1},
	}
	for i, e := range entries {
		var x map[string][]byte
		if e.Name == "f" {
			x = map[string][]byte{"user.a": []byte("1"), "user.b": nil}
		}
		if err := w.Add(e, x, i == 0); err != nil {
			t.Fatal(err)
		}
	}
	chunks := []catalog.Chunk{{Offset: 0, Size: 4, Hash: h}, {Offset: 4, Size: 6, Hash: h}}
	if err := w.AddChunks("/big", chunks); err != nil {
		t.Fatal(err)
	}
	w.SetProperty("schema", catalog.SchemaVersion)
	w.SetProperty("schema_revision", "7")
	w.SetProperty("revision", "3")
	w.SetCounters(catalog.Counters{"regular": 2}, catalog.Counters{})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p + "-journal"); err == nil {
		t.Fatal("journal left behind")
	}
	c, err := catalog.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.PropInt("revision", 0) != 3 {
		t.Fatal("revision property")
	}
	f, err := c.Lookup("/f")
	if err != nil || !f.Hash.Equal(h) || f.Perm() != 0o4755 || f.UID != 7 || f.MtimeNs != 12 || !f.HasXattrs {
		t.Fatalf("%+v %v", f, err)
	}
	x, err := c.Xattrs(f)
	if err != nil || string(x["user.a"]) != "1" || len(x) != 2 {
		t.Fatalf("xattrs %q %v", x, err)
	}
	dev, _ := c.Lookup("/c")
	if ma, mi := dev.Rdev(); ma != 1 || mi != 3 {
		t.Fatalf("rdev %d,%d", ma, mi)
	}
	list, _ := c.List("")
	if len(list) != 4 {
		t.Fatalf("%d children", len(list))
	}
	big, _ := c.Lookup("/big")
	got, err := c.Chunks(big)
	if err != nil || len(got) != 2 || got[1].Offset != 4 {
		t.Fatalf("chunks %+v %v", got, err)
	}
	cnt, _ := c.Counters()
	if len(cnt) != 24 || cnt["self_regular"] != 2 {
		t.Fatalf("counters %v", cnt)
	}
}

// TestWriterFileHeader: the written file is a plain rollback-journal
// database (header bytes 18/19 = 1, not WAL), as the original client needs.
func TestWriterFileHeader(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.db")
	w, err := catwrite.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w.Add(&catalog.Entry{Path: "", Mode: catalog.ModeDir | 0o755, Flags: catalog.FlagDir, Hardlinks: 2, MtimeNs: -1}, nil, true)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b[:16]) != "SQLite format 3\x00" || b[18] != 1 || b[19] != 1 {
		t.Fatalf("header % x", b[:20])
	}
	for _, side := range []string{"-journal", "-wal", "-shm"} {
		if _, err := os.Stat(p + side); err == nil {
			t.Fatalf("%s file left behind", side)
		}
	}
}
