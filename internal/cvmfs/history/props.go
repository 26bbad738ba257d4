package history

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/ucvm/ucvm/internal/sqlite"
)

var errFound = errors.New("found")

// property returns a value of the properties table every CernVM-FS
// database has ("" and false when absent or NULL). Values stored as numbers
// are returned as text, as SQL CAST(value AS TEXT) does.
func property(db *sqlite.DB, key string) (string, bool, error) {
	t, err := db.Table("properties")
	if err != nil {
		return "", false, fmt.Errorf("reading property %s: %w", key, err)
	}
	k, v := t.ColumnIndex("key"), t.ColumnIndex("value")
	if k < 0 || v < 0 {
		return "", false, fmt.Errorf("reading property %s: %w: properties table without key/value", key, ErrSchema)
	}
	var val sqlite.Value
	err = t.Where([]string{"key"}, []sqlite.Value{sqlite.TextValue(key)}, func(r *sqlite.Row) error {
		val = r.Column(v)
		val.B = val.Bytes()
		return errFound
	})
	if err != nil && !errors.Is(err, errFound) {
		return "", false, fmt.Errorf("reading property %s: %w", key, err)
	}
	return castText(val), !val.IsNull(), nil
}

// castText formats a value like SQLite's CAST(x AS TEXT): REAL with up to
// 15 significant digits and a ".0" when integral.
func castText(v sqlite.Value) string {
	if v.Kind != sqlite.Float {
		return v.String()
	}
	if v.F == math.Trunc(v.F) && math.Abs(v.F) < 1e15 {
		return strconv.FormatFloat(v.F, 'f', 1, 64)
	}
	return strconv.FormatFloat(v.F, 'g', 15, 64)
}
