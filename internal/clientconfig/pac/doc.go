// Package pac evaluates proxy auto-configuration (PAC) files for
// CVMFS_HTTP_PROXY=auto / CVMFS_PAC_URLS (spec cvmfs-format.md §10.3): the
// JavaScript function FindProxyForURL(url, host) runs in the otto engine
// (ES5, which is what PAC files are written in) with the standard PAC helper functions (isPlainHostName, dnsDomainIs,
// localHostOrDomainIs, isResolvable, isInNet, dnsResolve, myIpAddress,
// dnsDomainLevels, shExpMatch, and simplified weekdayRange, dateRange,
// timeRange) under a time limit, so a looping PAC file cannot hang the
// client. Groups turns its answer ("PROXY a:3128; PROXY b:3128; DIRECT")
// into proxy groups, ignoring SOCKS entries as cvmfs does.
//
// The PAC file is untrusted input: it gets no file system, network or
// process access; DNS lookups go through Options.Resolve.
package pac
