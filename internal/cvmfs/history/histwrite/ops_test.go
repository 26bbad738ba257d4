package histwrite

import (
	"database/sql"
	"errors"
	"github.com/ucvm/ucvm/internal/cvmfs/history"
	"path/filepath"
	"strconv"
	"testing"
)

func TestTagOperationsAndReopen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "h.db")
	h, err := Create(p, "demo.local")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Create(p, "demo.local"); err == nil {
		t.Fatal("Create over an existing file succeeded")
	}
	// First publish: only trunk.
	if err := h.UpdateUndoTags(history.Tag{Hash: h1, Revision: 1, Timestamp: 100, Size: 16384}); err != nil {
		t.Fatal(err)
	}
	if err := h.Insert(history.Tag{Name: "probe", Hash: h1}); err != nil {
		t.Fatal(err)
	}
	if err := h.Delete("probe"); err != nil {
		t.Fatal(err)
	}
	// Second publish with a named tag.
	if err := h.UpdateUndoTags(history.Tag{Hash: h2, Revision: 2, Timestamp: 200, Size: 20000}); err != nil {
		t.Fatal(err)
	}
	if err := h.Insert(history.Tag{Name: "v1", Hash: h2, Revision: 2, Timestamp: 200, Size: 20000, Description: "first"}); err != nil {
		t.Fatal(err)
	}
	if err := h.Insert(history.Tag{Name: "v1", Hash: h2}); !errors.Is(err, history.ErrExists) {
		t.Fatalf("duplicate insert: %v", err)
	}
	for _, bad := range []string{"trunk", "trunk-previous", "", "a b", "x\ny"} {
		if err := h.Insert(history.Tag{Name: bad, Hash: h2}); err == nil {
			t.Fatalf("Insert(%q) accepted", bad)
		}
	}
	if err := h.SetPreviousRevision(h3); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	checkRollbackJournal(t, p)

	r := readBack(t, p)
	if r.FQRN() != "demo.local" {
		t.Fatalf("fqrn %q", r.FQRN())
	}
	if prev, _ := r.PreviousRevision(); !prev.Equal(h3) {
		t.Fatalf("previous_revision %v", prev)
	}
	trunk, err := r.Find(history.TagTrunk)
	if err != nil || !trunk.Hash.Equal(h2) || trunk.Description != history.DescTrunk || trunk.Revision != 2 {
		t.Fatalf("trunk %+v %v", trunk, err)
	}
	prev, err := r.Find(history.TagTrunkPrevious)
	if err != nil || !prev.Hash.Equal(h1) || prev.Description != history.DescTrunkPrevious || prev.Size != 16384 {
		t.Fatalf("trunk-previous %+v %v", prev, err)
	}
	if _, err := r.Find("probe"); !errors.Is(err, history.ErrNotFound) {
		t.Fatalf("deleted tag: %v", err)
	}
	r.Close()

	h, err = Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if h.FQRN() != "demo.local" {
		t.Fatalf("fqrn %q", h.FQRN())
	}
	if err := h.Replace(history.Tag{Name: "v1", Hash: h3, Revision: 3, Timestamp: 300}); err != nil {
		t.Fatal(err)
	}
	if err := h.Insert(history.Tag{Name: "v1", Hash: h2}); !errors.Is(err, history.ErrExists) {
		t.Fatalf("insert over replaced tag: %v", err)
	}
	if err := h.Insert(history.Tag{Name: "v2", Hash: h2, Revision: 2}); err != nil {
		t.Fatal(err)
	}
	if err := h.Delete("v2"); err != nil {
		t.Fatal(err)
	}
	if err := h.Delete("v2"); !errors.Is(err, history.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	r = readBack(t, p)
	defer r.Close()
	if v1, _ := r.Find("v1"); !v1.Hash.Equal(h3) {
		t.Fatalf("replace did not overwrite: %+v", v1)
	}
	tags, _ := r.List()
	if len(tags) != 3 || tags[0].Name != "v1" || tags[1].Name != history.TagTrunk {
		t.Fatalf("tags %+v", tags)
	}
}

// readBack opens a written history with the read-only reader.
func readBack(t *testing.T, p string) *history.DB {
	t.Helper()
	r, err := history.OpenReadOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// oldHistory builds a history DB of an old schema revision, as cvmfs 2.0-2.1
// servers wrote them.
func oldHistory(t *testing.T, rev int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+p)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cols := `name TEXT, hash TEXT, revision INTEGER, timestamp INTEGER, channel INTEGER, description TEXT`
	if rev >= 1 {
		cols += `, size INTEGER`
	}
	stmts := []string{sqlProperties,
		`CREATE TABLE tags (` + cols + `, CONSTRAINT pk_tags PRIMARY KEY (name))`,
		`INSERT INTO properties VALUES ('schema', '1.0'), ('fqrn', 'old.repo')`,
	}
	if rev > 0 {
		stmts = append(stmts, `INSERT INTO properties VALUES ('schema_revision', '`+strconv.Itoa(rev)+`')`)
	}
	if rev >= 2 {
		stmts = append(stmts, historyDDL[4])
	}
	vals := `'old', '` + h1.String() + `', 5, 1000, 0, 'old tag'`
	vals2 := `'new', '` + h2.String() + `', 6, 2000, 0, 'new tag'`
	if rev >= 1 {
		vals += `, 4096`
		vals2 += `, 8192`
	}
	stmts = append(stmts, `INSERT INTO tags VALUES (`+vals+`), (`+vals2+`)`)
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return p
}

func TestOlderRevisions(t *testing.T) {
	for rev := 0; rev <= 2; rev++ {
		p := oldHistory(t, rev)
		h, err := history.OpenReadOnly(p)
		if err != nil {
			t.Fatalf("rev %d: %v", rev, err)
		}
		if h.SchemaRevision() != rev {
			t.Fatalf("rev %d read as %d", rev, h.SchemaRevision())
		}
		old, err := h.Find("old")
		wantSize := int64(0)
		if rev >= 1 {
			wantSize = 4096
		}
		if err != nil || old.Size != wantSize || old.Branch != "" || old.Revision != 5 {
			t.Fatalf("rev %d: %+v %v", rev, old, err)
		}
		if tg, err := h.FindByDate(1500); err != nil || tg.Name != "old" {
			t.Fatalf("rev %d by date: %+v %v", rev, tg, err)
		}
		h.Close()

		// Read-write open upgrades to revision 3 and keeps the tags.
		w, err := Open(p)
		if err != nil {
			t.Fatalf("rev %d upgrade: %v", rev, err)
		}
		if err := w.UpdateUndoTags(history.Tag{Hash: h3, Revision: 7, Timestamp: 3000}); err != nil {
			t.Fatalf("rev %d after upgrade: %v", rev, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		h, err = history.OpenReadOnly(p)
		if err != nil {
			t.Fatal(err)
		}
		tags, err := h.List()
		if err != nil || h.SchemaRevision() != 3 || len(tags) != 3 {
			t.Fatalf("rev %d upgraded: rev %d tags %+v %v", rev, h.SchemaRevision(), tags, err)
		}
		h.Close()
	}
}

func TestReflogIsNotHistory(t *testing.T) {
	p := filepath.Join(t.TempDir(), "reflog")
	r, err := CreateReflog(p, "x")
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := history.OpenReadOnly(p); !errors.Is(err, history.ErrSchema) {
		t.Fatalf("reflog opened as history: %v", err)
	}
	if _, err := Open(p); !errors.Is(err, history.ErrSchema) {
		t.Fatalf("reflog opened as history for writing: %v", err)
	}
}
