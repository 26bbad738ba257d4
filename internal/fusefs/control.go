package fusefs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// controlServer answers `ucvm talk` on a Unix socket: one command line per
// connection, the answer, then the connection is closed.
type controlServer struct {
	ln   net.Listener
	path string
	m    *Mounted
	wg   sync.WaitGroup
}

func startControl(m *Mounted, path string) (*controlServer, error) {
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	os.Chmod(path, 0o600)
	c := &controlServer{ln: ln, path: path, m: m}
	c.wg.Add(1)
	go c.serve()
	return c, nil
}

func (c *controlServer) serve() {
	defer c.wg.Done()
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			return
		}
		go c.handle(conn)
	}
}

func (c *controlServer) handle(conn net.Conn) {
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(io.LimitReader(conn, 64<<10)).ReadString('\n')
	if err != nil && line == "" {
		return
	}
	conn.SetReadDeadline(time.Time{})
	out, err := c.m.Command(strings.TrimSpace(line))
	if err != nil {
		out = "error: " + err.Error() + "\n"
	}
	conn.Write([]byte(out))
}

func (c *controlServer) close() {
	c.ln.Close()
	c.wg.Wait()
	os.Remove(c.path)
}

// ErrUnknownCommand: the control command is not known.
var ErrUnknownCommand = errors.New("unknown command")

// CommandHelp lists the control commands.
const CommandHelp = `pin PATH          keep PATH (file, or every file below a directory) in the cache
unpin PATH        remove a pin
pins              list pinned paths
cache usage       cache size, limit, pinned bytes, entries
cleanup MB        evict unpinned objects down to MB megabytes
remount           check for a new revision now and switch to it
revision          mounted revision and root hash
host info         hosts, current first; host switch: use the next host
proxy info        proxy groups and current proxy; proxy switch: next group
bootlayer         write the boot layer of the mounted revision now
bootpack PATH     unpack the boot pack PATH (e.g. /os/.ucvm_bootpack) as that layer
stats             counters: reads, files fetched and pushed ahead
pid               daemon process id
`

// Command runs one control command and returns its answer.
func (m *Mounted) Command(line string) (string, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return CommandHelp, nil
	}
	arg := strings.TrimSpace(strings.TrimPrefix(line, f[0]))
	switch f[0] {
	case "pin":
		return m.pin(arg)
	case "unpin":
		return "ok\n", m.FS.cfg.Cache.Unpin(cleanPath(arg))
	case "pins":
		return strings.Join(append(m.FS.cfg.Cache.Pins(), ""), "\n"), nil
	case "cache":
		u := m.FS.cfg.Cache.Usage()
		return fmt.Sprintf("dir %s\nused %d\nlimit %d\npinned %d\nentries %d\npinned_paths %d\nhits %d\nmisses %d\nevictions %d\n",
			u.Dir, u.UsedBytes, u.Limit, u.PinnedBytes, u.Entries, u.PinnedPaths, u.Stats.Hits, u.Stats.Misses, u.Stats.Evictions), nil
	case "cleanup":
		mb, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || mb < 0 {
			return "", fmt.Errorf("cleanup wants a size in MB, got %q", arg)
		}
		return fmt.Sprintf("used %d\n", m.FS.cfg.Cache.Cleanup(mb<<20)), nil
	case "remount":
		rev, err := m.FS.Remount()
		return fmt.Sprintf("revision %d\n", rev), err
	case "revision":
		i := m.FS.Info()
		return fmt.Sprintf("revision %d\nroot_hash %s\ntag %s\noffline %v\n", i.Revision, i.RootHash.String(), i.Tag, m.FS.Offline()), nil
	case "host", "proxy":
		return m.netCommand(f)
	case "stats":
		return m.FS.Stats().String(), nil
	case "bootlayer":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		i, err := m.FS.WriteBootLayer(ctx)
		return i.String(), err
	case "bootpack":
		if arg == "" {
			return "", fmt.Errorf("%w: bootpack wants the pack's repository path, e.g. /os/.ucvm_bootpack", ErrUnknownCommand)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		i, err := m.FS.ApplyBootPack(ctx, cleanPath(arg))
		return i.String(), err
	case "pid":
		return strconv.Itoa(os.Getpid()) + "\n", nil
	case "help":
		return CommandHelp, nil
	}
	return "", fmt.Errorf("%w %q (try: ucvm talk FQRN help)", ErrUnknownCommand, f[0])
}

func (m *Mounted) netCommand(f []string) (string, error) {
	n := m.FS.cfg.Network
	if n == nil {
		return "", errors.New("no download manager")
	}
	if len(f) == 2 && f[1] == "switch" {
		if f[0] == "host" {
			n.SwitchHost()
		} else {
			n.SwitchProxyGroup()
		}
	} else if len(f) != 2 || f[1] != "info" {
		return "", fmt.Errorf("%w: %s wants info or switch", ErrUnknownCommand, f[0])
	}
	i := n.Info()
	if f[0] == "host" {
		return fmt.Sprintf("current %s\nhosts %s\n", i.CurrentHost(), strings.Join(i.HostList(), ";")), nil
	}
	return fmt.Sprintf("current %s\ngroup %d\nproxies %s\n", i.Proxy, i.ProxyGroup, m.FS.netMagic("proxy_list")), nil
}

func cleanPath(p string) string {
	p = "/" + strings.Trim(p, "/")
	if p == "/" {
		return ""
	}
	return p
}

// ctxTimeout is the budget of a control command that downloads.
func (m *Mounted) ctxTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*m.FS.cfg.OpTimeout)
}

// SocketPath is the control socket of fqrn in a cache directory.
func SocketPath(cacheDir, fqrn string) string {
	return cacheDir + "/cvmfs_io." + fqrn
}

// Talk sends one command to a running daemon and returns its answer; an
// answer starting with "error: " is returned as an error.
func Talk(socket, command string, timeout time.Duration) (string, error) {
	conn, err := net.DialTimeout("unix", socket, timeout)
	if err != nil {
		return "", fmt.Errorf("connect to %s: %w (is the repository mounted with this cache?)", socket, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write([]byte(command + "\n")); err != nil {
		return "", err
	}
	out, err := io.ReadAll(conn)
	if err != nil {
		return "", fmt.Errorf("read answer: %w", err)
	}
	if msg, ok := strings.CutPrefix(string(out), "error: "); ok {
		return "", errors.New(strings.TrimSpace(msg))
	}
	return string(out), nil
}
