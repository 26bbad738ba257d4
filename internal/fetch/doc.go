// Package fetch is the download manager of the CernVM-FS client: it fetches
// repository objects (".cvmfspublished", ".cvmfswhitelist", "data/xx/...")
// relative to an ordered list of hosts (CVMFS_SERVER_URL) through a chain of
// proxy groups (CVMFS_HTTP_PROXY, CVMFS_FALLBACK_PROXY), with the failover
// rules of the real client (spec cvmfs-format.md §10.2–10.4).
//
// API in short:
//
//	cfg := fetch.DefaultConfig()
//	cfg.Hosts = fetch.ParseHostList("http://s1/cvmfs/@fqrn@;http://s2/cvmfs/@fqrn@", fqrn)
//	cfg.Proxies, _ = fetch.ParseProxyList("http://p1:3128|http://p2:3128;DIRECT")
//	f, err := fetch.New(cfg)
//	b, err := f.GetBytes(ctx, ".cvmfspublished", 1<<20)
//	err = f.Get(ctx, "data/ab/cdef...C", func(body io.Reader) error {
//		// stream body into a temp file while hashing it; on a hash
//		// mismatch return an error wrapping fetch.ErrBadData.
//	})
//
// Get calls the Verifier once per attempt with a fresh body; the Verifier
// must discard what an earlier attempt gave it (truncate its temp file). A
// Verifier error wrapping ErrBadData makes Get retry once with "Pragma:
// no-cache" (to flush proxies) and then try the next host; any other
// Verifier error (disk full, ...) aborts Get at once. Errors reading the
// body are network errors and are classified by Get itself.
//
// Final errors wrap one of the sentinels: ErrNotFound (every host answered
// 404), ErrBadData (no host delivered valid data), ErrOffline (no host or
// proxy could be reached), ErrHTTP (hosts answered, with errors). Context
// cancellation is returned as the context's error.
//
// Deadlines: every attempt is watched (from the moment it gets one of
// MaxConnsPerHost connection slots): connecting, waiting for headers and
// reading the body must each make progress of at least LowSpeedLimit bytes
// per Timeout window (TimeoutDirect without a proxy), so a stalled server
// fails an attempt within two windows and a whole Get ends within roughly
// 2 × Timeout × attempts, where attempts are bounded by hosts, proxies,
// MaxRetries and the single no-cache retry.
//
// Failover state (current host, current proxy group and proxy) is global to
// a Fetcher and shared by all requests, as in cvmfs: a request that fails
// switches host or proxy only if nobody switched since it started. After
// HostResetAfter on a backup host and ProxyResetAfter on a backup proxy
// group the primary ones are tried again. Info, SwitchHost,
// SwitchProxyGroup and RebalanceProxies serve magic xattrs and the control
// socket.
//
// Concurrent Gets of the same relative path collapse into one download: the
// first caller downloads, later ones wait and are served from an in-memory
// copy. The first 1 MiB of each download is always recorded, more (up to
// Config.SpoolLimit) only while somebody waits; a waiter that finds no
// complete copy downloads by itself. The 1 MiB goes into a pooled buffer
// that returns to the pool when nobody waited (most downloads): a fresh,
// growing slice per download was half the client's CPU time while it
// streamed a boot pack.
//
// Hosts may also be file:// URLs or plain directory paths (a repository's
// storage directory); they take part in failover like HTTP hosts.
//
// Proxy groups named "auto" are resolved by ResolveAuto through the PAC
// files of CVMFS_PAC_URLS (package clientconfig/pac).
package fetch
