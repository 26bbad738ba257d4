package history

import (
	"database/sql"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	_ "modernc.org/sqlite" // the reference SQL engine

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// refTags runs the client's queries (as the modernc-based reader did)
// against the history database at p: all tags newest first, each tag by
// name, and FindByDate at every tag timestamp and around it.
func refTags(t *testing.T, p string, rev int) (list []Tag, byDate map[int64]string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+p+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cols := `name, hash, revision, timestamp, channel, description, size, branch`
	switch {
	case rev < 1:
		cols = `name, hash, revision, timestamp, channel, description, 0, ''`
	case rev < 3:
		cols = `name, hash, revision, timestamp, channel, description, size, ''`
	}
	scan := func(s interface{ Scan(...any) error }) (Tag, error) {
		var tg Tag
		var hex string
		var desc, branch sql.NullString
		var channel, size sql.NullInt64
		err := s.Scan(&tg.Name, &hex, &tg.Revision, &tg.Timestamp, &channel, &desc, &size, &branch)
		if err == nil {
			tg.Hash, err = hash.Parse(hex)
		}
		tg.Channel, tg.Description, tg.Size, tg.Branch = int(channel.Int64), desc.String, size.Int64, branch.String
		return tg, err
	}
	rows, err := db.Query(`SELECT ` + cols + ` FROM tags ORDER BY revision DESC, timestamp DESC, name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		tg, err := scan(rows)
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, tg)
	}
	rows.Close()
	where := `timestamp <= ?`
	if rev >= 3 {
		where = `(branch = '') AND (timestamp <= ?)`
	}
	byDate = map[int64]string{}
	for _, tg := range list {
		for _, ts := range []int64{tg.Timestamp - 1, tg.Timestamp, tg.Timestamp + 1} {
			got, err := scan(db.QueryRow(`SELECT `+cols+` FROM tags WHERE `+where+` ORDER BY revision DESC LIMIT 1`, ts))
			if err == nil {
				byDate[ts] = got.Name + " " + got.Hash.String()
			} else {
				byDate[ts] = "none"
			}
		}
	}
	return list, byDate
}

func TestConformanceFixtureHistories(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir(), "data", "*", "*H"))
	if len(files) == 0 {
		t.Skip("fixture repository not available")
	}
	for _, f := range files {
		h := hash.MustParse(filepath.Base(filepath.Dir(f)) + filepath.Base(f)[:38])
		conformHistory(t, inflateObject(t, h, hash.SuffixHistory))
	}
}

func conformHistory(t *testing.T, p string) {
	h, err := OpenReadOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	wantList, wantByDate := refTags(t, p, h.SchemaRevision())
	list, err := h.List()
	if err != nil || !reflect.DeepEqual(list, wantList) {
		t.Fatalf("%s: List\n got %+v %v\nwant %+v", p, list, err, wantList)
	}
	for _, want := range wantList {
		if got, err := h.Find(want.Name); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("Find(%s): %+v %v", want.Name, got, err)
		}
	}
	for ts, want := range wantByDate {
		got := "none"
		if tg, err := h.FindByDate(ts); err == nil {
			got = tg.Name + " " + tg.Hash.String()
		}
		if got != want && wantTie(list, ts, got, want) {
			t.Fatalf("FindByDate(%d): %s, want %s", ts, got, want)
		}
	}
}

// wantTie reports a real mismatch: SQL leaves the choice among tags of the
// same (highest) revision open, so any of them is acceptable.
func wantTie(list []Tag, ts int64, got, want string) bool {
	rev := map[string]uint64{}
	for _, tg := range list {
		rev[tg.Name+" "+tg.Hash.String()] = tg.Revision
	}
	g, okG := rev[got]
	w, okW := rev[want]
	return !okG || !okW || g != w
}

// TestConformanceOldRevisions covers schema revisions 0-2 and a revision-3
// database migrated with ALTER TABLE ADD COLUMN but without rewriting the
// old rows (short records: size and branch read as NULL).
func TestConformanceOldRevisions(t *testing.T) {
	base := []string{
		`CREATE TABLE properties (key TEXT, value TEXT, CONSTRAINT pk_properties PRIMARY KEY (key))`,
		`CREATE TABLE tags (name TEXT, hash TEXT, revision INTEGER, timestamp INTEGER, channel INTEGER, description TEXT, CONSTRAINT pk_tags PRIMARY KEY (name))`,
		`INSERT INTO properties VALUES ('schema', '1.0'), ('fqrn', 'old.repo')`,
		`INSERT INTO tags VALUES ('a', '` + h40("1") + `', 5, 1000, 0, 'first'), ('b', '` + h40("2") + `', 6, 2000, 0, NULL), ('c', '` + h40("3") + `', 6, 2000, 0, 'tie')`,
	}
	for rev, extra := range [][]string{
		{},
		{`INSERT INTO properties VALUES ('schema_revision', 1)`, `ALTER TABLE tags ADD size INTEGER`,
			`INSERT INTO tags VALUES ('d', '` + h40("4") + `', 7, 3000, 0, 'sized', 4096)`},
		{`INSERT INTO properties VALUES ('schema_revision', '2')`, `ALTER TABLE tags ADD size INTEGER DEFAULT 17`},
		{`INSERT INTO properties VALUES ('schema_revision', '3')`, `ALTER TABLE tags ADD size INTEGER`, `ALTER TABLE tags ADD branch TEXT`,
			`INSERT INTO tags VALUES ('e', '` + h40("5") + `', 8, 4000, 0, 'branched', 1, '')`,
			`INSERT INTO tags VALUES ('f', '` + h40("6") + `', 9, 5000, 0, 'other branch', 2, 'dev')`},
	} {
		p := filepath.Join(t.TempDir(), "h.db")
		db, err := sql.Open("sqlite", "file:"+p)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range append(append([]string{}, base...), extra...) {
			if _, err := db.Exec(s); err != nil {
				t.Fatalf("rev %d: %s: %v", rev, s, err)
			}
		}
		db.Close()
		conformHistory(t, p)
	}
}

func h40(c string) string { return strings.Repeat(c, 40) }
