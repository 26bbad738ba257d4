package repo

import (
	"bytes"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ucvm/ucvm/internal/cvmfs/hash"
	"github.com/ucvm/ucvm/internal/cvmfs/history"
	"github.com/ucvm/ucvm/internal/cvmfs/history/histwrite"
	"github.com/ucvm/ucvm/internal/cvmfs/keys"
	"github.com/ucvm/ucvm/internal/cvmfs/manifest"
	"github.com/ucvm/ucvm/internal/cvmfs/object"
	"github.com/ucvm/ucvm/internal/cvmfs/whitelist"
)

// Revision is a new root catalog to install as the repository's head.
type Revision struct {
	RootCatalog    hash.Hash
	RootSize       int64
	Revision       uint64
	LastModified   int64 // root catalog last_modified
	TTL            uint64
	Tag            string // optional named tag
	TagDescription string
}

// metaTemplate is the meta-info JSON written at creation, as cvmfs_server does.
const metaTemplate = `{
  "administrator" : "Your Name",
  "email"         : "you@organisation.org",
  "organisation"  : "Your Organisation",
  "description"   : "Repository content",
  "url"           : "Project website",
  "recommended-stratum0":  "stratum 0 url",
  "recommended-stratum1s" : [ "stratum1 url", "stratum1 url" ],
  "custom" : { "_comment" : "Put arbitrary structured data here" }
}
`

// Commit writes history, certificate, meta-info and reflog for rev, then
// signs and installs the new manifest: .cvmfspublished is written last and
// atomically, so readers see either the previous revision or the new one.
// prev is the current manifest (nil for a new repository).
func (s *Storage) Commit(fqrn string, ks *keys.Set, prev *manifest.Manifest, rev Revision, now time.Time) (*manifest.Manifest, error) {
	if err := s.checkWhitelist(fqrn, ks, now); err != nil {
		return nil, err
	}
	work, err := s.TempDir()
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	m := &manifest.Manifest{RootCatalog: rev.RootCatalog, RootCatalogSize: uint64(rev.RootSize), TTL: rev.TTL,
		Revision: rev.Revision, Name: fqrn, Timestamp: max(now.Unix(), rev.LastModified)}
	if prev != nil {
		m.GarbageCollect, m.AltPaths = prev.GarbageCollect, prev.AltPaths
	}
	if m.History, err = s.commitHistory(work, fqrn, prev, rev); err != nil {
		return nil, err
	}
	if m.Certificate, err = s.putExact(ks.CertPEM, hash.SuffixCertificate); err != nil {
		return nil, fmt.Errorf("certificate object: %w", err)
	}
	if prev != nil && !prev.MetaInfo.IsZero() && s.HasObject(prev.MetaInfo, hash.SuffixMetainfo) {
		m.MetaInfo = prev.MetaInfo
	} else if m.MetaInfo, err = s.putExact([]byte(metaTemplate), hash.SuffixMetainfo); err != nil {
		return nil, fmt.Errorf("meta-info object: %w", err)
	}
	if m.Reflog, err = s.commitReflog(work, fqrn, m, now); err != nil {
		return nil, err
	}
	raw, err := m.Sign(ks.Key)
	if err != nil {
		return nil, fmt.Errorf("sign manifest: %w", err)
	}
	if err := s.WriteFile(".cvmfspublished", raw); err != nil {
		return nil, err
	}
	return manifest.Parse(raw)
}

func (s *Storage) checkWhitelist(fqrn string, ks *keys.Set, now time.Time) error {
	raw, err := s.ReadFile(".cvmfswhitelist")
	if err != nil {
		return fmt.Errorf("whitelist: %w", err)
	}
	wl, err := whitelist.Parse(raw)
	if err != nil {
		return err
	}
	if ks.MasterPub == nil {
		return fmt.Errorf("no master public key %s.pub in the keys directory", fqrn)
	}
	err = wl.Verify([]*rsa.PublicKey{ks.MasterPub}, fqrn, now, ks.Certificate.Raw)
	switch {
	case errors.Is(err, whitelist.ErrNotWhitelisted):
		return fmt.Errorf("the repository certificate is not in the whitelist: wrong --keys for %s?", fqrn)
	case errors.Is(err, whitelist.ErrExpired):
		return fmt.Errorf("%w: renew it with `ucvm repo resign %s`", err, fqrn)
	}
	return err
}

// putExact stores data compressed byte-identically to C zlib (X and M objects).
func (s *Storage) putExact(data []byte, suffix byte) (hash.Hash, error) {
	c, err := object.CompressExact(data)
	if err != nil {
		return hash.Hash{}, err
	}
	h := hash.Sum(hash.SHA1, c)
	_, err = s.PutObject(h, suffix, c)
	return h, err
}

func (s *Storage) commitHistory(work, fqrn string, prev *manifest.Manifest, rev Revision) (hash.Hash, error) {
	path := filepath.Join(work, "history.db")
	var db *histwrite.DB
	var err error
	if prev != nil && !prev.History.IsZero() {
		if err = s.inflateTo(prev.History, hash.SuffixHistory, path); err != nil {
			return hash.Hash{}, err
		}
		db, err = histwrite.Open(path)
	} else {
		db, err = histwrite.Create(path, fqrn)
	}
	if err != nil {
		return hash.Hash{}, err
	}
	head := history.Tag{Hash: rev.RootCatalog, Revision: rev.Revision, Timestamp: rev.LastModified, Size: rev.RootSize}
	err = db.UpdateUndoTags(head)
	if err == nil && rev.Tag != "" {
		t := head
		t.Name, t.Description = rev.Tag, rev.TagDescription
		err = db.Replace(t)
	}
	if err == nil && prev != nil && !prev.History.IsZero() {
		err = db.SetPreviousRevision(prev.History)
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return hash.Hash{}, fmt.Errorf("history: %w", err)
	}
	return s.PutFileCompressed(path, hash.SuffixHistory)
}

func (s *Storage) commitReflog(work, fqrn string, m *manifest.Manifest, now time.Time) (hash.Hash, error) {
	path := filepath.Join(work, "reflog.db")
	var rl *histwrite.Reflog
	old, err := s.ReadFile(".cvmfsreflog")
	if err == nil {
		if err = os.WriteFile(path, old, 0o600); err == nil {
			rl, err = histwrite.OpenReflog(path, false)
		}
	} else if os.IsNotExist(err) {
		rl, err = histwrite.CreateReflog(path, fqrn)
	}
	if err != nil {
		return hash.Hash{}, fmt.Errorf("reflog: %w", err)
	}
	for _, r := range []histwrite.Ref{{Hash: m.RootCatalog, Type: histwrite.RefCatalog}, {Hash: m.Certificate, Type: histwrite.RefCertificate},
		{Hash: m.History, Type: histwrite.RefHistory}, {Hash: m.MetaInfo, Type: histwrite.RefMetainfo}} {
		if r.Hash.IsZero() {
			continue
		}
		r.Timestamp = now.Unix()
		if err = rl.Add(r); err != nil {
			break
		}
	}
	if cerr := rl.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return hash.Hash{}, fmt.Errorf("reflog: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return hash.Hash{}, err
	}
	if err := s.WriteFile(".cvmfsreflog", data); err != nil {
		return hash.Hash{}, err
	}
	return hash.Sum(hash.SHA1, data), nil
}

// inflateTo writes the inflated, verified object to path.
func (s *Storage) inflateTo(h hash.Hash, suffix byte, path string) error {
	f, err := os.Open(filepath.Join(s.Dir, h.ObjectPath(suffix)))
	if err != nil {
		return fmt.Errorf("object %s: %w", h.ObjectPath(suffix), err)
	}
	defer f.Close()
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := object.Verify(out, f, h, true, -1); err != nil {
		out.Close()
		return fmt.Errorf("object %s: %w", h.ObjectPath(suffix), err)
	}
	return out.Close()
}

// PutFileCompressed compresses a database file and stores it as an object.
func (s *Storage) PutFileCompressed(path string, suffix byte) (hash.Hash, error) {
	f, err := os.Open(path)
	if err != nil {
		return hash.Hash{}, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := object.CompressTo(&buf, f); err != nil {
		return hash.Hash{}, err
	}
	h := hash.Sum(hash.SHA1, buf.Bytes())
	_, err = s.PutObject(h, suffix, buf.Bytes())
	return h, err
}
