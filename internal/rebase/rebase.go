package rebase

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ucvm/ucvm/internal/userdata"
)

// Options of one rebase.
type Options struct {
	Upper  string // overlay upper dir: the scratch disk's persistent/
	Lower  string // the new OS tree (mounted snapshot path)
	Aux    string // the scratch disk's aux/: logs, id maps, backups
	Policy Policy // "" = Rebase
	// RootHash names the new snapshot in the log ("Rebased to <hash>").
	RootHash string
	Now      func() time.Time
	Logger   *slog.Logger // nil = slog.Default()
}

// Result reports what Run did.
type Result struct {
	Policy                       Policy
	Restored, Unopaqued          int // whiteouts / opaque markers removed
	Preserved, Dropped           int // local copies kept / deleted
	Errors                       int // entries that could not be changed (see the log)
	UsersAdded, GroupsAdded      int
	UIDMap, GIDMap               string // map files for the client ("" = unchanged)
	UIDMapEntries, GIDMapEntries int
	Log, AccountLog              string
}

// Needed reports whether a fresh mount must be rebased: the upper dir
// exists and is not empty (spec 15rebase).
func Needed(upper string) bool {
	d, err := os.Open(upper)
	if err != nil {
		return false
	}
	defer d.Close()
	names, _ := d.Readdirnames(1)
	return len(names) > 0
}

// Run applies the policy to the upper dir over the new lower dir, merges
// the account databases (diverge, rebase), writes aux/uid_map and
// aux/gid_map and logs to aux/rebase-<id>.log and aux/account_merge-<id>.log.
// Stay changes nothing and returns a zero Result.
func Run(o Options) (*Result, error) {
	if o.Policy == "" {
		o.Policy = Rebase
	}
	if _, err := ParsePolicy(string(o.Policy)); err != nil {
		return nil, err
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	res := &Result{Policy: o.Policy}
	if o.Policy == Stay {
		o.Logger.Info("rebase: policy stay, nothing to do")
		return res, nil
	}
	if err := os.MkdirAll(o.Aux, 0o755); err != nil {
		return nil, fmt.Errorf("aux dir: %w", err)
	}
	id := o.Now().UTC().Format("20060102T150405Z")
	lg := &logFile{}
	lg.printf("rebase %s: policy %s, upper %s, new OS %s", id, o.Policy, o.Upper, o.Lower)
	p := &layerPass{upper: o.Upper, lower: o.Lower, logf: lg.printf}
	err := p.run(o.Policy)
	res.Restored, res.Unopaqued, res.Preserved, res.Dropped, res.Errors = p.st.Restored, p.st.Unopaqued, p.st.Preserved, p.st.Dropped, p.st.Errors
	if err == nil {
		lg.printf("restored %d, unopaqued %d, preserved %d, rebased %d, errors %d", res.Restored, res.Unopaqued, res.Preserved, res.Dropped, res.Errors)
		lg.printf("Rebased to %s", orDefault(o.RootHash, o.Lower))
	}
	res.Log = filepath.Join(o.Aux, "rebase-"+id+".log")
	if werr := userdata.WriteFileAtomic(res.Log, []byte(lg.String()), 0o644); werr != nil {
		return nil, errors.Join(err, werr)
	}
	if err != nil {
		return nil, err
	}
	if err := mergeFiles(o, id, res); err != nil {
		return nil, err
	}
	o.Logger.Info("rebase", "policy", o.Policy, "restored", res.Restored, "preserved", res.Preserved,
		"dropped", res.Dropped, "users_added", res.UsersAdded, "groups_added", res.GroupsAdded, "log", res.Log)
	return res, nil
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// logFile collects timestamped log lines.
type logFile struct{ b strings.Builder }

func (l *logFile) printf(format string, args ...any) {
	fmt.Fprintf(&l.b, format+"\n", args...)
}

func (l *logFile) String() string { return l.b.String() }

// LastFile records the root hash of the last rebase (relative to rw).
const LastFile = "aux/rebased_to"

// AtBoot is the bootloader's rebase step after mounting the repository:
// rw is the scratch disk, lower the new OS tree. It does nothing (nil
// result) unless the mount was fresh (not from a pin), rw/persistent is
// not empty and rootHash differs from the last rebase (aux/rebased_to: a
// forced tag mounts fresh on every boot, but rebases only when the tag
// moves); otherwise it runs the machine's policy (aux/update_policy).
// When the result has id maps (UIDMapEntries+GIDMapEntries > 0), the
// caller re-mounts the repository so that they take effect.
func AtBoot(rw, lower, rootHash string, fresh bool, logger *slog.Logger) (*Result, error) {
	upper := filepath.Join(rw, "persistent")
	if !fresh || !Needed(upper) {
		return nil, nil
	}
	last, _ := os.ReadFile(filepath.Join(rw, LastFile))
	if rootHash != "" && strings.TrimSpace(string(last)) == rootHash {
		return nil, nil
	}
	p, err := ReadPolicy(rw)
	if err != nil {
		return nil, err
	}
	res, err := Run(Options{Upper: upper, Lower: lower, Aux: filepath.Join(rw, "aux"), Policy: p, RootHash: rootHash, Logger: logger})
	if err != nil || rootHash == "" || p == Stay {
		return res, err
	}
	return res, userdata.WriteFileAtomic(filepath.Join(rw, LastFile), []byte(rootHash+"\n"), 0o644)
}
