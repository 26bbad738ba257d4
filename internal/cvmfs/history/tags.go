package history

import (
	"database/sql"
	"fmt"
	"strings"
	"unicode"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
)

// selectColumns returns the tag column list for the schema revision, with
// the defaults the real client substitutes for older revisions.
func (h *DB) selectColumns() string {
	switch {
	case h.rev < 1:
		return `name, hash, revision, timestamp, channel, description, 0, ''`
	case h.rev < 3:
		return `name, hash, revision, timestamp, channel, description, size, ''`
	default:
		return `name, hash, revision, timestamp, channel, description, size, branch`
	}
}

type scanner interface{ Scan(dest ...any) error }

func scanTag(s scanner) (Tag, error) {
	var t Tag
	var hex string
	var desc, branch sql.NullString
	var channel, size sql.NullInt64
	if err := s.Scan(&t.Name, &hex, &t.Revision, &t.Timestamp, &channel, &desc, &size, &branch); err != nil {
		return t, err
	}
	hs, err := hash.Parse(hex)
	if err != nil {
		return t, fmt.Errorf("history: tag %q: root hash %q: %w", t.Name, hex, err)
	}
	t.Hash, t.Channel, t.Description, t.Size, t.Branch = hs, int(channel.Int64), desc.String, size.Int64, branch.String
	return t, nil
}

// List returns all tags, newest revision first (ties by name).
func (h *DB) List() ([]Tag, error) {
	rows, err := h.db.Query(`SELECT ` + h.selectColumns() + ` FROM tags ORDER BY revision DESC, timestamp DESC, name`)
	if err != nil {
		return nil, fmt.Errorf("history: listing tags: %w", err)
	}
	defer rows.Close()
	var out []Tag
	for rows.Next() {
		t, err := scanTag(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// Find returns the tag with the given name (the client's SqlFindTag).
func (h *DB) Find(name string) (Tag, error) {
	t, err := scanTag(h.db.QueryRow(`SELECT `+h.selectColumns()+` FROM tags WHERE name = ?`, name))
	if isNoRows(err) {
		return t, fmt.Errorf("history: tag %q: %w", name, ErrNotFound)
	}
	return t, err
}

// FindByDate returns the newest tag of the default branch whose timestamp is
// not after ts (the client's SqlFindTagByDate, CVMFS_REPOSITORY_DATE).
func (h *DB) FindByDate(ts int64) (Tag, error) {
	where := `timestamp <= ?`
	if h.rev >= 3 {
		where = `(branch = '') AND (timestamp <= ?)`
	}
	t, err := scanTag(h.db.QueryRow(`SELECT `+h.selectColumns()+` FROM tags WHERE `+where+` ORDER BY revision DESC LIMIT 1`, ts))
	if isNoRows(err) {
		return t, fmt.Errorf("history: no tag at or before %d: %w", ts, ErrNotFound)
	}
	return t, err
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

// Insert adds a user tag; ErrExists if the name is taken.
func (h *DB) Insert(t Tag) error {
	if err := ValidateName(t.Name); err != nil {
		return err
	}
	if _, err := h.Find(t.Name); err == nil {
		return fmt.Errorf("history: tag %q: %w (remove it first or pick another name)", t.Name, ErrExists)
	}
	return h.put(h.db, t)
}

// Replace inserts or overwrites a tag of any name.
func (h *DB) Replace(t Tag) error { return h.put(h.db, t) }

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

func (h *DB) put(e execer, t Tag) error {
	if err := h.writable(); err != nil {
		return err
	}
	if t.Hash.IsZero() {
		return fmt.Errorf("history: tag %q: %w: no root hash", t.Name, ErrBadTag)
	}
	_, err := e.Exec(`INSERT OR REPLACE INTO tags (name, hash, revision, timestamp, channel, description, size, branch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.Name, t.Hash.String(), int64(t.Revision), t.Timestamp, t.Channel, t.Description, t.Size, t.Branch)
	if err != nil {
		return fmt.Errorf("history: writing tag %q: %w", t.Name, err)
	}
	return nil
}

// Delete removes a tag; ErrNotFound if there is none of that name.
func (h *DB) Delete(name string) error {
	if err := h.writable(); err != nil {
		return err
	}
	res, err := h.db.Exec(`DELETE FROM tags WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("history: deleting tag %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("history: tag %q: %w", name, ErrNotFound)
	}
	return nil
}

// UpdateUndoTags does what every publish does: trunk-previous := trunk (if
// any), trunk := head. Name, Description and Branch of head are set here.
func (h *DB) UpdateUndoTags(head Tag) error {
	if err := h.writable(); err != nil {
		return err
	}
	tx, err := h.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM tags WHERE name = ?`, TagTrunkPrevious); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if _, err := tx.Exec(`UPDATE tags SET name = ?, description = ? WHERE name = ?`, TagTrunkPrevious, DescTrunkPrevious, TagTrunk); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	head.Name, head.Description, head.Branch = TagTrunk, DescTrunk, ""
	if err := h.put(tx, head); err != nil {
		return err
	}
	return tx.Commit()
}
