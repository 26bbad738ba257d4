package tree

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Line is one entry of a canonical listing.
type Line struct {
	Path  string // relative, no leading slash, raw bytes
	Type  byte
	Mode  uint32 // permission bits incl. setuid/setgid/sticky
	UID   uint32
	GID   uint32
	Size  int64
	Mtime int64
	Data  string // sha1 hex, raw symlink target, "major,minor" or "-"
}

var escaper = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`)

// Escape applies the listing's escaping of backslash, tab and newline.
func Escape(s string) string { return escaper.Replace(s) }

// String formats the line without a trailing newline.
func (l Line) String() string {
	data := l.Data
	if l.Type == 'l' {
		data = Escape(data)
	}
	return fmt.Sprintf("%s\t%c\t%04o\t%d\t%d\t%d\t%d\t%s", Escape(l.Path), l.Type, l.Mode, l.UID, l.GID, l.Size, l.Mtime, data)
}

// Sort orders lines by path bytes.
func Sort(lines []Line) {
	sort.Slice(lines, func(i, j int) bool { return lines[i].Path < lines[j].Path })
}

// Write sorts lines and writes them, one per line.
func Write(w io.Writer, lines []Line) error {
	Sort(lines)
	bw := bufio.NewWriter(w)
	for _, l := range lines {
		bw.WriteString(l.String())
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

// Diff returns a short human description of the first differences between
// two listings (already formatted text), or "" if equal.
func Diff(want, got string, max int) string {
	wl := strings.Split(strings.TrimSuffix(want, "\n"), "\n")
	gl := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	ws := map[string]bool{}
	for _, l := range wl {
		ws[l] = true
	}
	gs := map[string]bool{}
	for _, l := range gl {
		gs[l] = true
	}
	var b strings.Builder
	n := 0
	for _, l := range wl {
		if !gs[l] && n < max {
			fmt.Fprintf(&b, "- %s\n", l)
			n++
		}
	}
	for _, l := range gl {
		if !ws[l] && n < max {
			fmt.Fprintf(&b, "+ %s\n", l)
			n++
		}
	}
	return b.String()
}
