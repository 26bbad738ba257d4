package boot

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Mounted describes the mounted OS repository.
type Mounted struct {
	RootHash, Tag string
	Revision      uint64
	Offline       bool
	Bytes         int64 // fetched by the client until the mount was ready
	PID           int
}

// RepoMounter mounts the OS repository at s.Mountpoint.
type RepoMounter interface {
	Mount(s RepoSettings) (*Mounted, error)
}

// ClientGoDebug is the boot client's default GODEBUG (kernel parameter
// ucvm.godebug= replaces it). Under software emulation (QEMU TCG) the
// signals of asynchronous preemption cost 5 % of the client's CPU on a
// cold boot (CPU profile, docs/benchmarks.md "Boot"); the client's
// goroutines call functions often enough to be preempted cooperatively.
const ClientGoDebug = "asyncpreemptoff=1"

// DaemonMounter starts the client as a separate process (this binary
// re-executed with argv[0] "@ucvm-mount"): a FUSE server must not live in
// PID 1, whose exec of /sbin/init would end it.
type DaemonMounter struct {
	Exe     string        // default /proc/self/exe
	RunDir  string        // settings files, default /run/ucvm
	Timeout time.Duration // default 5 min
}

// Mount implements RepoMounter.
func (d DaemonMounter) Mount(s RepoSettings) (*Mounted, error) {
	exe, run, timeout := orDefault(d.Exe, "/proc/self/exe"), orDefault(d.RunDir, "/run/ucvm"), d.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	if err := os.MkdirAll(run, 0o700); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(run, "mount-"+s.FQRN+".json")
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := writeAtomic(cfgPath, b, 0o600); err != nil {
		return nil, err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer pr.Close()
	logf, _ := os.OpenFile(filepath.Join(s.CacheDir, "ucvm-mount.stderr"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	cmd := &exec.Cmd{Path: exe, Args: []string{ClientArgv0, cfgPath}, ExtraFiles: []*os.File{pw},
		Stdout: logf, Stderr: logf, SysProcAttr: &syscall.SysProcAttr{Setsid: true}}
	if s.GoDebug != "" {
		cmd.Env = append(os.Environ(), "GODEBUG="+s.GoDebug)
	}
	if err := cmd.Start(); err != nil {
		pw.Close()
		return nil, fmt.Errorf("start repository client: %w", err)
	}
	pw.Close()
	if logf != nil {
		logf.Close()
	}
	go cmd.Wait() // reap it if it exits while we are still PID 1's process
	st, err := readStatus(pr, timeout)
	if err != nil {
		cmd.Process.Kill()
		return nil, err
	}
	if !st.OK {
		return nil, fmt.Errorf("mount %s: %s", s.FQRN, st.Error)
	}
	return &Mounted{RootHash: st.RootHash, Tag: st.Tag, Revision: st.Revision, Offline: st.Offline, Bytes: st.Bytes, PID: cmd.Process.Pid}, nil
}

func readStatus(r *os.File, timeout time.Duration) (clientStatus, error) {
	type res struct {
		st  clientStatus
		err error
	}
	ch := make(chan res, 1)
	go func() {
		line, err := bufio.NewReader(r).ReadString('\n')
		if err != nil && line == "" {
			ch <- res{err: fmt.Errorf("repository client exited without a status: %w", err)}
			return
		}
		var st clientStatus
		err = json.Unmarshal([]byte(line), &st)
		ch <- res{st, err}
	}()
	select {
	case r := <-ch:
		return r.st, r.err
	case <-time.After(timeout):
		return clientStatus{}, fmt.Errorf("repository client gave no status within %v", timeout)
	}
}

// WaitOnSquid implements cvmfs_wait_on_squid: probe <server>/.cvmfspublished
// through each proxy (connect timeout secs) until one answers. Unlike the
// original it gives up after maxWait.
func WaitOnSquid(s RepoSettings, secs int, maxWait time.Duration, log func(string, ...any)) error {
	proxies := strings.FieldsFunc(usableProxy(s.Proxy), func(r rune) bool { return r == ';' || r == '|' })
	deadline := time.Now().Add(maxWait)
	for round := 0; time.Now().Before(deadline); round++ {
		for _, p := range proxies {
			for _, u := range s.ServerURLs {
				start := time.Now()
				err := probeVia(p, u+"/.cvmfspublished", time.Duration(secs)*time.Second)
				log("probing %s --> %s... %s", p, u, okWord(err))
				if err == nil {
					return nil
				}
				if rest := time.Duration(secs)*time.Second - time.Since(start); rest > 0 && time.Now().Add(rest).Before(deadline) {
					time.Sleep(rest)
				}
			}
		}
	}
	return fmt.Errorf("no proxy answered within %v", maxWait)
}

func okWord(err error) string {
	if err == nil {
		return "check"
	}
	return "failed"
}

func probeVia(proxy, target string, timeout time.Duration) error {
	tr := &http.Transport{}
	if !strings.EqualFold(proxy, "DIRECT") {
		pu, err := url.Parse(proxy)
		if err != nil {
			return err
		}
		tr.Proxy = http.ProxyURL(pu)
	}
	c := &http.Client{Transport: tr, Timeout: timeout}
	resp, err := c.Get(target)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New(resp.Status)
	}
	return nil
}
