package repo

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/catalog"
	"github.com/ucvm/ucvm/internal/cvmfs/catalog/catwrite"
	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/cvmfs/manifest"
	"github.com/ucvm/ucvm/internal/cvmfs/whitelist"
)

// WhitelistLifetime is how long a whitelist signed here stays valid.
const WhitelistLifetime = 30 * 24 * time.Hour

var fqrnRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$`)

// ValidateName checks a fully qualified repository name.
func ValidateName(fqrn string) error {
	if !fqrnRE.MatchString(fqrn) {
		return fmt.Errorf("invalid repository name %q: use a dotted name such as demo.example.org (letters, digits, '-', '_')", fqrn)
	}
	return nil
}

// Create makes a new repository: keys (generated unless all four key files
// of fqrn already exist in keysDir, which are then reused, never
// overwritten), the storage skeleton, a 30-day whitelist, the replication
// marker, and an empty revision 1 tagged trunk — what `cvmfs_server mkfs`
// leaves on disk.
func Create(fqrn, storageDir, keysDir string, now time.Time) (*Storage, *manifest.Manifest, error) {
	if err := ValidateName(fqrn); err != nil {
		return nil, nil, err
	}
	if entries, err := os.ReadDir(storageDir); err == nil && len(entries) > 0 {
		return nil, nil, fmt.Errorf("storage directory %s is not empty: choose a new directory", storageDir)
	}
	ks, err := loadOrGenerate(fqrn, keysDir)
	if err != nil {
		return nil, nil, err
	}
	s := &Storage{Dir: storageDir}
	if err := s.skeleton(); err != nil {
		return nil, nil, err
	}
	if err := s.Resign(fqrn, ks, now); err != nil {
		return nil, nil, err
	}
	if err := s.WriteFile(".cvmfs_master_replica", []byte("This file marks the repository as replicatable to stratum 1 servers\n")); err != nil {
		return nil, nil, err
	}
	root, size, err := s.emptyRoot(now)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.Commit(fqrn, ks, nil, Revision{RootCatalog: root, RootSize: size, Revision: 1, LastModified: now.Unix(), TTL: catalog.DefaultTTL}, now)
	return s, m, err
}

func loadOrGenerate(fqrn, dir string) (*keys.Set, error) {
	master, pub, key, crt := keys.Paths(dir, fqrn)
	present := 0
	for _, p := range []string{master, pub, key, crt} {
		if _, err := os.Stat(p); err == nil {
			present++
		}
	}
	switch present {
	case 4:
		return keys.Load(dir, fqrn)
	case 0:
		ks, err := keys.Generate(fqrn)
		if err != nil {
			return nil, err
		}
		return ks, ks.Write(dir, fqrn)
	}
	return nil, fmt.Errorf("keys directory %s holds only some key files of %s: refusing to overwrite them (move them away or complete the set)", dir, fqrn)
}

// Resign writes a new whitelist listing the repository certificate, valid
// for WhitelistLifetime; it needs the master private key.
func (s *Storage) Resign(fqrn string, ks *keys.Set, now time.Time) error {
	if ks.Master == nil {
		return fmt.Errorf("resign needs the master key %s.masterkey in the keys directory", fqrn)
	}
	raw, err := whitelist.Create(fqrn, [][]byte{ks.Certificate.Raw}, now, WhitelistLifetime, ks.Master)
	if err != nil {
		return err
	}
	return s.WriteFile(".cvmfswhitelist", raw)
}

// emptyRoot writes the root catalog of an empty repository.
func (s *Storage) emptyRoot(now time.Time) (hash.Hash, int64, error) {
	work, err := s.TempDir()
	if err != nil {
		return hash.Hash{}, 0, err
	}
	defer os.RemoveAll(work)
	path := filepath.Join(work, "root.db")
	w, err := catwrite.Create(path)
	if err != nil {
		return hash.Hash{}, 0, err
	}
	root := &catalog.Entry{Path: "", Mode: catalog.ModeDir | 0o755, Size: 4096, Mtime: now.Unix(), MtimeNs: -1,
		Flags: catalog.FlagDir, Hardlinks: 2, UID: uint32(os.Getuid()), GID: uint32(os.Getgid())}
	err = w.Add(root, nil, true)
	for _, kv := range [][2]string{{"schema", catalog.SchemaVersion}, {"schema_revision", "7"}, {"revision", "1"},
		{"last_modified", catalog.Itoa(now.Unix())}, {"TTL", "240"}} {
		if err == nil {
			err = w.SetProperty(kv[0], kv[1])
		}
	}
	if err == nil {
		err = w.SetCounters(catalog.Counters{"dir": 1}, catalog.Counters{})
	}
	if err != nil {
		w.Abort()
		return hash.Hash{}, 0, err
	}
	if err := w.Close(); err != nil {
		return hash.Hash{}, 0, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return hash.Hash{}, 0, err
	}
	h, err := s.PutFileCompressed(path, hash.SuffixCatalog)
	return h, st.Size(), err
}
