package rebase

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ucvm/ucvm/internal/userdata"
)

// Policy says what an OS update does to the local changes.
type Policy string

// The three policies of the µCernVM slides.
const (
	Stay    Policy = "stay"    // no update: the pinned snapshot stays
	Diverge Policy = "diverge" // new OS, every local change kept
	Rebase  Policy = "rebase"  // new OS wins outside /etc, /var, /root
)

// PolicyFile (relative to the scratch disk) holds the machine's policy.
const PolicyFile = "aux/update_policy"

// ErrBadPolicy is returned for an unknown policy name.
var ErrBadPolicy = errors.New("unknown update policy")

// ParsePolicy parses "stay", "diverge" or "rebase" ("" = rebase).
func ParsePolicy(s string) (Policy, error) {
	switch p := Policy(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return Rebase, nil
	case Stay, Diverge, Rebase:
		return p, nil
	}
	return "", fmt.Errorf("%w %q: use stay, diverge or rebase", ErrBadPolicy, s)
}

// ReadPolicy reads rw/aux/update_policy; a missing file is Rebase.
func ReadPolicy(rw string) (Policy, error) {
	b, err := os.ReadFile(filepath.Join(rw, PolicyFile))
	if errors.Is(err, os.ErrNotExist) {
		return Rebase, nil
	}
	if err != nil {
		return "", err
	}
	p, err := ParsePolicy(string(b))
	if err != nil {
		return "", fmt.Errorf("%s: %w (fix or delete the file)", filepath.Join(rw, PolicyFile), err)
	}
	return p, nil
}

// WritePolicy stores p in rw/aux/update_policy.
func WritePolicy(rw string, p Policy) error {
	if _, err := ParsePolicy(string(p)); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(rw, "aux"), 0o755); err != nil {
		return err
	}
	return userdata.WriteFileAtomic(filepath.Join(rw, PolicyFile), []byte(string(p)+"\n"), 0o644)
}
