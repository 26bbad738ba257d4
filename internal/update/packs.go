package update

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode"

	"github.com/ucvm/ucvm/internal/reader"
)

// PacksDir is the repository directory holding bootloader update packs:
// *.tar packs, optional <pack>.sha256 files (sha256sum format) and an
// optional "latest" file (version=, update-pack=, sha256=) that names the
// current one. Without "latest" the pack with the highest version in its
// name (ucvm.<version>.tar, ucvm-<branch>.<version>.update.tar) wins.
const PacksDir = "/update-packs"

// Pack is a bootloader update pack in the repository.
type Pack struct {
	Version string
	Path    string // repository path
	SHA256  string // published checksum ("" if none)
}

var errNoPacks = errors.New("no update packs")

// newestPack finds the current update pack.
func newestPack(ctx context.Context, r *reader.Repo) (Pack, error) {
	if b, err := readSmall(ctx, r, PacksDir+"/latest"); err == nil {
		return parseLatest(string(b))
	} else if !errors.Is(err, reader.ErrNotFound) {
		return Pack{}, err
	}
	nodes, err := r.ReadDir(ctx, PacksDir)
	if errors.Is(err, reader.ErrNotFound) {
		return Pack{}, fmt.Errorf("%w: %s does not exist in the repository", errNoPacks, PacksDir)
	}
	if err != nil {
		return Pack{}, err
	}
	var best Pack
	for _, n := range nodes {
		if v := packVersion(n.Name); v != "" && n.IsRegular() && (best.Version == "" || CompareVersions(v, best.Version) > 0) {
			best = Pack{Version: v, Path: PacksDir + "/" + n.Name}
		}
	}
	if best.Version == "" {
		return Pack{}, fmt.Errorf("%w in %s", errNoPacks, PacksDir)
	}
	if b, err := readSmall(ctx, r, best.Path+".sha256"); err == nil {
		best.SHA256 = firstField(string(b))
	}
	return best, nil
}

// parseLatest parses update-packs/latest.
func parseLatest(s string) (Pack, error) {
	var p Pack
	for _, l := range strings.Split(s, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(l), "=")
		switch k {
		case "version":
			p.Version = strings.TrimSpace(v)
		case "update-pack":
			p.Path = strings.TrimSpace(v)
		case "sha256":
			p.SHA256 = strings.ToLower(strings.TrimSpace(v))
		}
	}
	if p.Version == "" || p.Path == "" || strings.ContainsAny(p.Path, "/\x00") || p.Path == ".." || p.Path == "." {
		return Pack{}, fmt.Errorf("%s/latest: want version= and update-pack=<file name> lines, got %q", PacksDir, s)
	}
	p.Path = path.Join(PacksDir, p.Path)
	return p, nil
}

// packVersion extracts the version from a pack file name ("" if the name
// is not a pack).
func packVersion(name string) string {
	v, ok := strings.CutSuffix(name, ".tar")
	if !ok {
		return ""
	}
	v = strings.TrimSuffix(v, ".update")
	switch {
	case strings.HasPrefix(v, "ucvm."):
		v = strings.TrimPrefix(v, "ucvm.")
	case strings.HasPrefix(v, "ucvm-"), strings.HasPrefix(v, "ucernvm-"):
		_, v, _ = strings.Cut(v, ".") // ucvm-<branch>.<version>
	case strings.HasPrefix(v, "ucernvm."):
		v = strings.TrimPrefix(v, "ucernvm.")
	}
	if v == "" || !unicode.IsDigit(rune(v[0])) {
		return ""
	}
	return v
}

// CompareVersions orders version strings naturally: runs of digits
// compare as numbers, other runs as text ("2026.9-1" < "2026.10-1").
func CompareVersions(a, b string) int {
	for a != "" && b != "" {
		ra, rb := run(a), run(b)
		a, b = a[len(ra):], b[len(rb):]
		if c := compareRun(ra, rb); c != 0 {
			return c
		}
	}
	return len(a) - len(b)
}

func run(s string) string {
	digit := unicode.IsDigit(rune(s[0]))
	i := 1
	for i < len(s) && unicode.IsDigit(rune(s[i])) == digit {
		i++
	}
	return s[:i]
}

func compareRun(a, b string) int {
	if unicode.IsDigit(rune(a[0])) && unicode.IsDigit(rune(b[0])) {
		a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
		if len(a) != len(b) {
			return len(a) - len(b)
		}
	}
	return strings.Compare(a, b)
}

func firstField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return strings.ToLower(f[0])
}

// readSmall reads a small repository file (up to 64 KiB).
func readSmall(ctx context.Context, r *reader.Repo, p string) ([]byte, error) {
	n, err := r.Lookup(ctx, p)
	if err != nil {
		return nil, err
	}
	f, err := r.Open(ctx, n)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(bufio.NewReader(io.LimitReader(io.NewSectionReader(f, 0, f.Size()), 64<<10)))
	return b, err
}
