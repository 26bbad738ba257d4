// Package js evaluates PAC files in the otto JavaScript engine (ES5,
// which is what PAC files are written in), with the standard PAC helper
// functions (isPlainHostName, dnsDomainIs, localHostOrDomainIs,
// isResolvable, isInNet, dnsResolve, myIpAddress, dnsDomainLevels,
// shExpMatch, and simplified weekdayRange, dateRange, timeRange) under a
// time limit, so a looping PAC file cannot hang the client. Importing it
// installs Evaluate as package pac's evaluator.
//
// The PAC file is untrusted input: it gets no file system, network or
// process access; DNS lookups go through pac.Options.Resolve.
package js
