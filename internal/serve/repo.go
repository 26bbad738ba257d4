package serve

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrStorage reports a storage directory that cannot be served.
var ErrStorage = errors.New("not a repository storage directory")

// Repo is one served repository.
type Repo struct {
	FQRN string // URL component: /cvmfs/<FQRN>/
	Dir  string // storage directory
}

// Discover returns the repository of a storage directory: the fqrn is the
// manifest's N line, or the directory's base name without a manifest.
func Discover(dir string) (Repo, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return Repo{}, fmt.Errorf("%w: %w", ErrStorage, err)
	}
	if !st.IsDir() {
		return Repo{}, fmt.Errorf("%w: %s is not a directory", ErrStorage, dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Repo{}, err
	}
	name, err := manifestName(filepath.Join(abs, ".cvmfspublished"))
	if err != nil {
		return Repo{}, err
	}
	if name == "" {
		name = filepath.Base(abs)
	}
	if name == "" || name == "." || name == "info" || strings.ContainsAny(name, "/\\\x00") || name == ".." {
		return Repo{}, fmt.Errorf("%w: %s: unusable repository name %q; rename the directory or fix its manifest", ErrStorage, dir, name)
	}
	return Repo{FQRN: name, Dir: abs}, nil
}

// manifestName returns the N value of a manifest, "" if there is no manifest.
func manifestName(p string) (string, error) {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrStorage, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "--" {
			break
		}
		if v, ok := strings.CutPrefix(line, "N"); ok {
			return v, nil
		}
	}
	return "", nil
}
