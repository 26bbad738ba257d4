package history

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/sqlite"
)

// tagCols are the positions of the tags columns; size and branch are -1 in
// the schema revisions before them (read as 0 and "", as the client does).
type tagCols struct{ name, hash, revision, timestamp, channel, description, size, branch int }

func (h *DB) resolveColumns() error {
	t := h.tags
	c := tagCols{t.ColumnIndex("name"), t.ColumnIndex("hash"), t.ColumnIndex("revision"), t.ColumnIndex("timestamp"),
		t.ColumnIndex("channel"), t.ColumnIndex("description"), -1, -1}
	if h.rev >= 1 {
		c.size = t.ColumnIndex("size")
	}
	if h.rev >= 3 {
		c.branch = t.ColumnIndex("branch")
	}
	if c.name < 0 || c.hash < 0 || c.revision < 0 || c.timestamp < 0 || c.channel < 0 || c.description < 0 ||
		h.rev >= 1 && c.size < 0 || h.rev >= 3 && c.branch < 0 {
		return fmt.Errorf("history: %s: %w: tags table lacks columns of schema revision %d", h.path, ErrSchema, h.rev)
	}
	h.cols = c
	return nil
}

func (h *DB) tag(r *sqlite.Row) (Tag, error) {
	c := &h.cols
	t := Tag{Name: r.Column(c.name).String(), Revision: uint64(r.Column(c.revision).Int()),
		Timestamp: r.Column(c.timestamp).Int(), Channel: int(r.Column(c.channel).Int()),
		Description: r.Column(c.description).String(), Size: r.Column(c.size).Int(), Branch: r.Column(c.branch).String()}
	hex := r.Column(c.hash).String()
	hs, err := hash.Parse(hex)
	if err != nil {
		return t, fmt.Errorf("history: tag %q: root hash %q: %w", t.Name, hex, err)
	}
	t.Hash = hs
	return t, nil
}

// List returns all tags, newest revision first (ties by name).
func (h *DB) List() ([]Tag, error) {
	var out []Tag
	err := h.tags.Scan(func(r *sqlite.Row) error {
		t, err := h.tag(r)
		out = append(out, t)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("history: listing tags: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Revision != b.Revision {
			return a.Revision > b.Revision
		}
		if a.Timestamp != b.Timestamp {
			return a.Timestamp > b.Timestamp
		}
		return a.Name < b.Name
	})
	return out, nil
}

var errFirst = errors.New("first row")

// Find returns the tag with the given name (the client's SqlFindTag).
func (h *DB) Find(name string) (Tag, error) {
	var t Tag
	found := false
	err := h.tags.Where([]string{"name"}, []sqlite.Value{sqlite.TextValue(name)}, func(r *sqlite.Row) error {
		var err error
		t, err = h.tag(r)
		found = true
		if err == nil {
			err = errFirst
		}
		return err
	})
	if err != nil && !errors.Is(err, errFirst) {
		return t, err
	}
	if !found {
		return t, fmt.Errorf("history: tag %q: %w", name, ErrNotFound)
	}
	return t, nil
}

// FindByDate returns the newest tag of the default branch whose timestamp is
// not after ts (the client's SqlFindTagByDate, CVMFS_REPOSITORY_DATE).
func (h *DB) FindByDate(ts int64) (Tag, error) {
	var best Tag
	found := false
	err := h.tags.Scan(func(r *sqlite.Row) error {
		stamp := r.Column(h.cols.timestamp)
		if stamp.IsNull() || stamp.Int() > ts {
			return nil
		}
		if br := r.Column(h.cols.branch); h.rev >= 3 && (br.Kind != sqlite.Text || len(br.B) != 0) {
			return nil
		}
		t, err := h.tag(r)
		if err != nil {
			return err
		}
		if !found || t.Revision > best.Revision {
			best, found = t, true
		}
		return nil
	})
	if err != nil {
		return best, fmt.Errorf("history: %w", err)
	}
	if !found {
		return best, fmt.Errorf("history: no tag at or before %d: %w", ts, ErrNotFound)
	}
	return best, nil
}

// ValidateName checks a user tag name: non-empty, no white space or control
// characters, not one of the undo tags.
func ValidateName(name string) error {
	if name == TagTrunk || name == TagTrunkPrevious {
		return fmt.Errorf("%w: %q is maintained automatically; choose another name", ErrReserved, name)
	}
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return fmt.Errorf("%w: name %q must be non-empty without spaces or control characters", ErrBadTag, name)
	}
	return nil
}
