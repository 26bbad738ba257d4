package history

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/testutil"
)

func fixtureDir() string {
	return filepath.Join(testutil.RepoRoot(), "..", "shared", "fixtures", "cvmfs", "test.repo.local")
}

// inflateObject writes the inflated fixture object to a temp file.
func inflateObject(t *testing.T, h hash.Hash, suffix byte) string {
	return testutil.InflateToFile(t, filepath.Join(testutil.FixtureRepo(t), h.ObjectPath(suffix)))
}

// fixtureHistoryHash returns the H hash of the fixture manifest.
func fixtureHistoryHash() (hash.Hash, error) {
	m, err := os.ReadFile(filepath.Join(fixtureDir(), ".cvmfspublished"))
	if err != nil {
		return hash.Hash{}, err
	}
	for _, line := range strings.Split(string(m), "\n") {
		if line == "--" {
			break
		}
		if strings.HasPrefix(line, "H") {
			return hash.Parse(line[1:])
		}
	}
	return hash.Hash{}, errors.New("fixture manifest has no H line")
}

func fixtureHistory(t *testing.T) hash.Hash {
	t.Helper()
	h, err := fixtureHistoryHash()
	if err != nil {
		t.Skipf("fixture not available: %v", err)
	}
	return h
}

// fixtureHistoryPath is the fixture's history object path ("" without the
// fixture).
func fixtureHistoryPath() string {
	h, err := fixtureHistoryHash()
	if err != nil {
		return ""
	}
	return h.ObjectPath(hash.SuffixHistory)
}

func TestFixtureHistory(t *testing.T) {
	p := inflateObject(t, fixtureHistory(t), hash.SuffixHistory)
	h, err := OpenReadOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if h.FQRN() != "test.repo.local" || h.SchemaRevision() != 3 {
		t.Fatalf("fqrn %q rev %d", h.FQRN(), h.SchemaRevision())
	}
	prev, err := h.PreviousRevision()
	if err != nil || prev.String() != "3c4bb3c9ba525b842c75c86eef77cb0952e19b29" {
		t.Fatalf("previous_revision %v %v", prev, err)
	}
	tags, err := h.List()
	if err != nil {
		t.Fatal(err)
	}
	// From MANIFEST.txt (cvmfs_server tag -l -x).
	want := map[string]string{
		"v3":                           "333600a63c242a5ad92a7b86973a2a96c8eb4a65 73728 4 1795337553 third revision: hardlink groups via the aufs sync handler",
		"trunk":                        "333600a63c242a5ad92a7b86973a2a96c8eb4a65 73728 4 1795337553 current HEAD",
		"v2":                           "c26efde62f294232bb7104e33f33001df20de66e 72704 3 1795337493 second revision: modify/delete/add",
		"trunk-previous":               "c26efde62f294232bb7104e33f33001df20de66e 72704 3 1795337493 default undo target",
		"generic-2026-11-22T08:50:24Z": "802ee2dcab0dd18d133eff1622e0ff614d037859 71680 2 1795337426 ",
		"v1":                           "802ee2dcab0dd18d133eff1622e0ff614d037859 71680 2 1795337426 first content revision",
		"generic-2026-11-22T08:50:01Z": "ed16a14386a493bb83e4c8dbd1f912b213fe1e5a 16384 1 1795337401 ",
	}
	if len(tags) != len(want) {
		t.Fatalf("%d tags, want %d: %+v", len(tags), len(want), tags)
	}
	for _, tg := range tags {
		got := strings.Join([]string{tg.Hash.String(), itoa(tg.Size), itoa(int64(tg.Revision)), itoa(tg.Timestamp), tg.Description}, " ")
		if got != want[tg.Name] || tg.Branch != "" {
			t.Errorf("tag %s: %q branch %q, want %q", tg.Name, got, tg.Branch, want[tg.Name])
		}
	}
	if tags[0].Revision != 4 || tags[len(tags)-1].Revision != 1 {
		t.Errorf("List not newest first: %v ... %v", tags[0], tags[len(tags)-1])
	}
	tg, err := h.FindByDate(1795337500) // between v2 and v3
	if err != nil || tg.Revision != 3 {
		t.Fatalf("by date: %+v %v", tg, err)
	}
	if _, err := h.FindByDate(1795337400); !errors.Is(err, ErrNotFound) {
		t.Fatalf("date before first tag: %v", err)
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestFindAndBadFiles(t *testing.T) {
	p := inflateObject(t, fixtureHistory(t), hash.SuffixHistory)
	h, err := OpenReadOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	v2, err := h.Find("v2")
	if err != nil || v2.Revision != 3 || v2.Hash.String() != "c26efde62f294232bb7104e33f33001df20de66e" {
		t.Fatalf("v2: %+v %v", v2, err)
	}
	if _, err := h.Find("v9"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing tag: %v", err)
	}
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk")
	os.WriteFile(junk, []byte(strings.Repeat("this is not a database at all, sorry. ", 4)), 0o644)
	if _, err := OpenReadOnly(junk); err == nil {
		t.Fatal("opened junk")
	}
	if _, err := OpenReadOnly(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("opened missing file")
	}
	reflog := filepath.Join(fixtureDir(), ".cvmfsreflog")
	if _, err := OpenReadOnly(reflog); !errors.Is(err, ErrSchema) {
		t.Fatalf("reflog opened as history: %v", err)
	}
}

func FuzzOpenHistory(f *testing.F) {
	f.Add([]byte("SQLite format 3\x00"))
	f.Add([]byte{})
	if p := fixtureHistoryPath(); p == "" {
		f.Log("fixture not available: no fixture seed")
	} else if raw, err := os.ReadFile(filepath.Join(fixtureDir(), p)); err == nil {
		if zr, err := zlib.NewReader(bytes.NewReader(raw)); err == nil {
			if plain, err := io.ReadAll(zr); err == nil {
				f.Add(plain)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "h")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		h, err := OpenReadOnly(p)
		if err != nil {
			return
		}
		h.List()
		h.Find("trunk")
		h.FindByDate(1 << 40)
		h.PreviousRevision()
		h.Close()
	})
}
