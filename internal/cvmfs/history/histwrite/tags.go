package histwrite

import (
	"database/sql"
	"fmt"

	"github.com/ucvm/ucvm/internal/cvmfs/history"
)

// Insert adds a user tag; history.ErrExists if the name is taken.
func (h *DB) Insert(t history.Tag) error {
	if err := history.ValidateName(t.Name); err != nil {
		return err
	}
	var n int
	if err := h.db.QueryRow(`SELECT count(*) FROM tags WHERE name = ?`, t.Name).Scan(&n); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("history: tag %q: %w (remove it first or pick another name)", t.Name, history.ErrExists)
	}
	return put(h.db, t)
}

// Replace inserts or overwrites a tag of any name.
func (h *DB) Replace(t history.Tag) error { return put(h.db, t) }

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

func put(e execer, t history.Tag) error {
	if t.Hash.IsZero() {
		return fmt.Errorf("history: tag %q: %w: no root hash", t.Name, history.ErrBadTag)
	}
	_, err := e.Exec(`INSERT OR REPLACE INTO tags (name, hash, revision, timestamp, channel, description, size, branch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.Name, t.Hash.String(), int64(t.Revision), t.Timestamp, t.Channel, t.Description, t.Size, t.Branch)
	if err != nil {
		return fmt.Errorf("history: writing tag %q: %w", t.Name, err)
	}
	return nil
}

// Delete removes a tag; history.ErrNotFound if there is none of that name.
func (h *DB) Delete(name string) error {
	res, err := h.db.Exec(`DELETE FROM tags WHERE name = ?`, name)
	if err != nil {
		return fmt.Errorf("history: deleting tag %q: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("history: tag %q: %w", name, history.ErrNotFound)
	}
	return nil
}

// UpdateUndoTags does what every publish does: trunk-previous := trunk (if
// any), trunk := head. Name, Description and Branch of head are set here.
func (h *DB) UpdateUndoTags(head history.Tag) error {
	tx, err := h.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.Exec(`DELETE FROM tags WHERE name = ?`, history.TagTrunkPrevious); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	if _, err := tx.Exec(`UPDATE tags SET name = ?, description = ? WHERE name = ?`, history.TagTrunkPrevious, history.DescTrunkPrevious, history.TagTrunk); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	head.Name, head.Description, head.Branch = history.TagTrunk, history.DescTrunk, ""
	if err := put(tx, head); err != nil {
		return err
	}
	return tx.Commit()
}
