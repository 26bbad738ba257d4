package fetch

import (
	"math/rand/v2"
	"sync"
	"time"
)

// selection is what one attempt uses; the generations let a failing
// request switch only if nobody switched since it picked (spec §10.4).
type selection struct {
	host     string
	hostGen  uint64
	proxy    string // "" for DIRECT
	proxyGen uint64
}

// selector is the global failover state of a Fetcher.
type selector struct {
	mu       sync.Mutex
	now      func() time.Time
	hostRst  time.Duration
	proxyRst time.Duration

	hosts     []string
	host      int
	hostGen   uint64
	hostSince time.Time // when we left the first host

	groups     [][]string
	group      int
	alive      []string // not yet failed members of the current group
	proxy      string   // current member of alive
	proxyGen   uint64
	groupSince time.Time // when we left the primary group
}

func newSelector(hosts []string, groups [][]string, hostRst, proxyRst time.Duration) *selector {
	s := &selector{now: time.Now, hostRst: hostRst, proxyRst: proxyRst}
	s.hosts = append([]string(nil), hosts...)
	s.groups = groups
	s.enterGroup(0)
	return s
}

// enterGroup makes group g current with all members alive and picks one at
// random (cvmfs balances by a random pick per switch).
func (s *selector) enterGroup(g int) {
	s.group = g
	s.alive = append([]string(nil), s.groups[g]...)
	s.pickAlive()
	if g == 0 {
		s.groupSince = time.Time{}
	} else if s.groupSince.IsZero() {
		s.groupSince = s.now()
	}
}

func (s *selector) pickAlive() {
	s.proxy = s.alive[rand.IntN(len(s.alive))]
	s.proxyGen++
}

// pick returns the current selection, applying the reset timers.
func (s *selector) pick() selection {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if s.host != 0 && s.hostRst > 0 && now.Sub(s.hostSince) >= s.hostRst {
		s.host, s.hostSince = 0, time.Time{}
		s.hostGen++
	}
	if s.group != 0 && s.proxyRst > 0 && now.Sub(s.groupSince) >= s.proxyRst {
		s.enterGroup(0)
	}
	sel := selection{host: s.hosts[s.host], hostGen: s.hostGen, proxy: s.proxy, proxyGen: s.proxyGen}
	if sel.proxy == Direct {
		sel.proxy = ""
	}
	return sel
}

// failProxy burns the proxy of sel in its group and moves on: another
// member of the group, else the next group (cyclically).
func (s *selector) failProxy(sel selection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sel.proxyGen != s.proxyGen {
		return
	}
	for i, m := range s.alive {
		if m == s.proxy {
			s.alive = append(s.alive[:i], s.alive[i+1:]...)
			break
		}
	}
	if len(s.alive) > 0 {
		s.pickAlive()
		return
	}
	s.enterGroup((s.group + 1) % len(s.groups))
}

// failHost moves to the next host (cyclically) if sel is still current.
func (s *selector) failHost(sel selection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sel.hostGen != s.hostGen {
		return
	}
	s.switchHostLocked()
}

func (s *selector) switchHostLocked() {
	s.host = (s.host + 1) % len(s.hosts)
	s.hostGen++
	if s.host == 0 {
		s.hostSince = time.Time{}
	} else if s.hostSince.IsZero() {
		s.hostSince = s.now()
	}
}

// resetProxies returns to the primary group (used when a request has tried
// every proxy and turns the failure into a host failure).
func (s *selector) resetProxies() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.group != 0 {
		s.enterGroup(0)
	}
}

func (s *selector) numHosts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.hosts)
}

func (s *selector) numProxies() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, g := range s.groups {
		n += len(g)
	}
	return n
}

// Info is a snapshot of the failover state (magic xattrs user.host,
// user.host_list, user.proxy, user.proxy_list; cvmfs_talk host/proxy info).
type Info struct {
	Hosts       []string   // in configured order
	Host        int        // index of the current host
	ProxyGroups [][]string // effective groups (fallback appended)
	ProxyGroup  int        // index of the current group
	Proxy       string     // current proxy URL or "DIRECT"
	Downloads   int64      // successful downloads
	Bytes       int64      // body bytes received by successful downloads
	Failures    int64      // failed attempts
}

// CurrentHost returns the current host URL.
func (i Info) CurrentHost() string { return i.Hosts[i.Host] }

// HostList is the user.host_list form: current host first, then the
// others in order, ";"-separated.
func (i Info) HostList() []string {
	out := make([]string, 0, len(i.Hosts))
	for k := range i.Hosts {
		out = append(out, i.Hosts[(i.Host+k)%len(i.Hosts)])
	}
	return out
}

func (s *selector) info() Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Info{Hosts: append([]string(nil), s.hosts...), Host: s.host,
		ProxyGroups: cloneGroups(s.groups), ProxyGroup: s.group, Proxy: s.proxy}
}
