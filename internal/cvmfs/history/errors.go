package history

import "errors"

// Sentinel errors callers branch on (package histwrite returns them too).
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	ErrSchema   = errors.New("unsupported database schema")
	ErrReadOnly = errors.New("database opened read-only")
	ErrReserved = errors.New("reserved tag name")
	ErrBadTag   = errors.New("invalid tag")
)
