package update

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/fetch"
	"github.com/ucvm/ucvm/internal/reader"
)

// remote is the verified newest revision of the repository.
type remote struct {
	repo    *reader.Repo
	cleanup func()
}

// openRemote opens the newest revision (trunk) with the verified reader
// over HTTP: proxy as configured with DIRECT as the last resort, 10 s
// timeouts, no retries (as cernvm-update's second mount).
func openRemote(ctx context.Context, c Config, timeout time.Duration) (*remote, error) {
	masters, err := keys.LoadPublic(c.Keys)
	if err != nil {
		return nil, fmt.Errorf("public keys of %s: %w (the bootloader copies them to aux/keys/%s/)", c.FQRN, err, c.FQRN)
	}
	cfg := fetch.DefaultConfig()
	cfg.Hosts = fetch.ParseHostList(strings.Join(c.ServerURLs, ";"), c.FQRN)
	proxy := fetch.Direct
	if p := strings.TrimSpace(c.Proxy); p != "" && !strings.EqualFold(p, fetch.Direct) && !strings.Contains(strings.ToLower(p), "auto") {
		proxy = p + ";" + fetch.Direct
	}
	if cfg.Proxies, err = fetch.ParseProxyList(proxy); err != nil {
		return nil, fmt.Errorf("proxy %q: %w", c.Proxy, err)
	}
	cfg.Timeout, cfg.TimeoutDirect, cfg.MaxRetries = timeout, timeout, 0
	fe, err := fetch.New(cfg)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "ucvm-update-")
	if err != nil {
		fe.Close()
		return nil, err
	}
	cleanup := func() { fe.Close(); os.RemoveAll(dir) }
	cache, err := reader.NewDirCache(dir)
	if err != nil {
		cleanup()
		return nil, err
	}
	r, err := reader.Open(ctx, reader.Options{FQRN: c.FQRN, Source: reader.FetchSource{F: fe}, Cache: cache, MasterKeys: masters})
	if err != nil {
		cleanup()
		return nil, fmt.Errorf("repository %s at %s: %w", c.FQRN, strings.Join(c.ServerURLs, ";"), err)
	}
	return &remote{repo: r, cleanup: func() { r.Close(); cleanup() }}, nil
}

func (r *remote) Close() { r.cleanup() }

// target returns what an unpinned boot mounts: the tag (its hash and
// revision), or the newest revision for an empty tag.
func (r *remote) target(ctx context.Context, tag string) (OSVersion, error) {
	i := r.repo.Info()
	tags, err := r.repo.Tags(ctx)
	if err != nil {
		return OSVersion{}, err
	}
	if tag == "" { // newest revision; named by a tag on it, if any
		v := OSVersion{RootHash: i.RootHash.String(), Revision: i.Revision, Timestamp: i.Timestamp}
		for _, t := range tags {
			if t.Hash.String() == v.RootHash && t.Name != "trunk" && t.Name != "trunk-previous" {
				v.Tag = t.Name
			}
		}
		return v, nil
	}
	for _, t := range tags {
		if t.Name == tag {
			return OSVersion{RootHash: t.Hash.String(), Tag: t.Name, Revision: t.Revision, Timestamp: t.Timestamp}, nil
		}
	}
	return OSVersion{}, fmt.Errorf("%w: tag %q not in %s (tags: %s)", reader.ErrNotFound, tag, i.FQRN, strings.Join(tagNames(tags), " "))
}

// newestTag is the tag of the highest revision ("" if there are none).
func (r *remote) newestTag(ctx context.Context) string {
	tags, err := r.repo.Tags(ctx)
	if err != nil || len(tags) == 0 {
		return ""
	}
	sort.Slice(tags, func(a, b int) bool {
		if tags[a].Revision != tags[b].Revision {
			return tags[a].Revision > tags[b].Revision
		}
		return tags[a].Timestamp > tags[b].Timestamp
	})
	for _, t := range tags {
		if t.Name != "trunk" && t.Name != "trunk-previous" {
			return t.Name
		}
	}
	return tags[0].Name
}

// revisionOf finds the revision of a root hash among the tags (0 if not
// tagged).
func (r *remote) revisionOf(ctx context.Context, rootHash string) uint64 {
	if rootHash == r.repo.Info().RootHash.String() {
		return r.repo.Info().Revision
	}
	tags, _ := r.repo.Tags(ctx)
	for _, t := range tags {
		if t.Hash.String() == rootHash {
			return t.Revision
		}
	}
	return 0
}

func tagNames(tags []*reader.Tag) []string {
	n := make([]string, len(tags))
	for i, t := range tags {
		n[i] = t.Name
	}
	return n
}
