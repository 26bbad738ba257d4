package update

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/ucvm/ucvm/internal/userdata"
)

// noticePrefix starts every line ucvm adds to /etc/motd.
const noticePrefix = "*** ucvm: "

// Motd runs the check and rewrites the notice lines of root/etc/motd: the
// current notices replace the old ones (none when up to date); every other
// line is kept.
func Motd(ctx context.Context, o Options) (*Status, error) {
	o.defaults()
	st, err := Check(ctx, o)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(o.Root, "etc/motd")
	return st, rewriteMotd(path, func(string) bool { return true }, st.Notices())
}

// removeNotices drops the notice lines mentioning what (best effort).
func removeNotices(path, what string) {
	_ = rewriteMotd(path, func(l string) bool { return strings.Contains(l, what) }, nil)
}

// rewriteMotd removes notice lines matched by drop and appends add.
func rewriteMotd(path string, drop func(string) bool, add []string) error {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	var keep []string
	var lines []string
	if len(b) > 0 {
		lines = strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	}
	for _, l := range lines {
		if strings.HasPrefix(l, noticePrefix) && drop(l) {
			continue
		}
		keep = append(keep, l)
	}
	keep = append(keep, add...)
	out := strings.Join(keep, "\n")
	if out != "" {
		out += "\n"
	}
	if out == string(b) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		mode = fi.Mode().Perm()
	}
	return userdata.WriteFileAtomic(path, []byte(out), mode)
}
