package kexec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Errors callers branch on.
var (
	ErrNothingToDo = errors.New("no staged bootloader update to apply")
	ErrBadApply    = errors.New("bad apply file")
	ErrLoop        = errors.New("staged bootloader came up with another version than its apply file")
)

// Dir is the staging directory below the scratch disk; ApplyName its
// control file.
const (
	Dir       = "kexec"
	ApplyName = "apply"
	attempted = "attempted"
)

// maxApply bounds the apply file (it is four short lines).
const maxApply = 64 << 10

// Apply is the parsed apply file of an update pack.
type Apply struct {
	Version string
	Kernel  string
	Initrd  string
	Cmdline string
}

// ParseApply parses key=value lines; version, kernel and initrd are
// required and kernel/initrd must be plain file names (no directories).
func ParseApply(data []byte) (Apply, error) {
	if len(data) > maxApply {
		return Apply{}, fmt.Errorf("%w: %d bytes, want a few lines", ErrBadApply, len(data))
	}
	var a Apply
	for n, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return Apply{}, fmt.Errorf("%w: line %d %q is not key=value", ErrBadApply, n+1, line)
		}
		switch strings.TrimSpace(k) {
		case "version":
			a.Version = strings.TrimSpace(v)
		case "kernel":
			a.Kernel = strings.TrimSpace(v)
		case "initrd":
			a.Initrd = strings.TrimSpace(v)
		case "cmdline":
			a.Cmdline = strings.TrimSpace(v)
		}
	}
	switch {
	case a.Version == "":
		return Apply{}, fmt.Errorf("%w: no version= line", ErrBadApply)
	case !plainName(a.Kernel):
		return Apply{}, fmt.Errorf("%w: kernel=%q must name a file next to the apply file", ErrBadApply, a.Kernel)
	case !plainName(a.Initrd):
		return Apply{}, fmt.Errorf("%w: initrd=%q must name a file next to the apply file", ErrBadApply, a.Initrd)
	}
	return a, nil
}

func plainName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\x00")
}

// String renders the apply file.
func (a Apply) String() string {
	return fmt.Sprintf("version=%s\nkernel=%s\ninitrd=%s\ncmdline=%s\n", a.Version, a.Kernel, a.Initrd, a.Cmdline)
}

// ReadApply reads dir/apply; a missing file is ErrNothingToDo.
func ReadApply(dir string) (Apply, error) {
	b, err := os.ReadFile(filepath.Join(dir, ApplyName))
	if errors.Is(err, os.ErrNotExist) {
		return Apply{}, ErrNothingToDo
	}
	if err != nil {
		return Apply{}, err
	}
	a, err := ParseApply(b)
	if err != nil {
		return Apply{}, fmt.Errorf("%s: %w (stage the update again with `ucvm update --bootloader`)", filepath.Join(dir, ApplyName), err)
	}
	return a, nil
}

// Differs reports whether the staged version is another than the running
// one ("apply names another version").
func (a Apply) Differs(running string) bool {
	return strings.TrimSpace(a.Version) != strings.TrimSpace(running)
}

// Check verifies that kernel and initrd exist as regular files in dir.
func (a Apply) Check(dir string) error {
	for _, f := range []string{a.Kernel, a.Initrd} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			return fmt.Errorf("%w: staged file: %w", ErrBadApply, err)
		}
		if !fi.Mode().IsRegular() || fi.Size() == 0 {
			return fmt.Errorf("%w: staged file %s is empty or not a regular file", ErrBadApply, f)
		}
	}
	return nil
}

// CommandLine is the command line for the new kernel: the apply file's, or
// else the current one (NUL and newline removed).
func (a Apply) CommandLine(current string) string {
	c := a.Cmdline
	if c == "" {
		c = current
	}
	return strings.TrimSpace(strings.NewReplacer("\x00", " ", "\n", " ").Replace(c))
}
