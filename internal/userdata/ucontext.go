package userdata

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// UcontextPrefix is the prefix of every variable in the ucontext file.
const UcontextPrefix = "_UCONTEXT_"

// FormatUcontext renders ctx in the `_UCONTEXT_KEY=value` form of µCernVM,
// one line per key, with every value single-quoted for the shell so that
// sourcing the file can neither run commands nor cut values at ';' or '|'.
func FormatUcontext(ctx *Context) []byte {
	var b bytes.Buffer
	for _, e := range ctx.Entries() {
		if !validKey(e.Key) {
			continue
		}
		fmt.Fprintf(&b, "%s%s=%s\n", UcontextPrefix, strings.ToUpper(e.Key), ShellQuote(e.Value))
	}
	return b.Bytes()
}

// ShellQuote returns s as one single-quoted POSIX shell word. Newlines are
// replaced by spaces so the file stays one assignment per line.
func ShellQuote(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// WriteUcontext writes the ucontext file atomically (temp name + rename).
func WriteUcontext(path string, ctx *Context) error {
	return WriteFileAtomic(path, FormatUcontext(ctx), 0o644)
}

// WriteFileAtomic writes data to a temporary file next to path and renames
// it into place, so readers never see a half-written file.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), perm); err != nil {
		return fmt.Errorf("chmod %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return nil
}

// ParseUcontext reads a ucontext file back without executing it. It accepts
// the quoted form written by FormatUcontext and the unquoted form of the
// original bootloader; lines that are not `_UCONTEXT_KEY=...` are ignored.
func ParseUcontext(data []byte) *Context {
	ctx := &Context{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export "))
		if !strings.HasPrefix(line, UcontextPrefix) {
			continue
		}
		k, v, ok := strings.Cut(line[len(UcontextPrefix):], "=")
		k = strings.ToLower(k)
		if !ok || !validKey(k) {
			continue
		}
		ctx.Set(k, ShellUnquote(v))
	}
	return ctx
}

// ReadUcontext reads and parses a ucontext file.
func ReadUcontext(path string) (*Context, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseUcontext(b), nil
}
