// Package clientconfig reads the CernVM-FS client configuration the way the
// real client layers it (spec cvmfs-format.md §10.1), without executing it:
//
//	default.conf, default.d/*.conf, <config repo>/etc/cvmfs/default.conf,
//	default.local, domain.d/<dom>.conf (config repo, then local) and
//	.local, config.d/<fqrn>.conf (config repo, then local) and .local,
//	then an extra --config file, then -o KEY=VALUE overrides.
//
// The files are shell scripts. They are parsed with mvdan.cc/sh and only a
// safe subset is evaluated: assignments (with export/readonly), quoting,
// comments, $VAR, ${VAR}, ${VAR:-x}, ${VAR:=x} and friends, and if/&&/||
// guards made of [ ]/test/[[ ]] string tests (-z, -n, =, !=) and file tests
// (-f, -d, -e, relative to the file's directory). Anything else (commands,
// $(...), sourcing, functions) is never run: it is reported as a Warning
// with file:line and skipped. Unknown CVMFS_ keys are warnings too.
//
// Every parameter remembers its Origin (file:line, -o, the built-in copy
// of the shipped default.conf, or a code default) and the values it
// overrode, for `ucvm config explain`. Values get @fqrn@ and @org@
// expanded. Typed accessors (Timeout, ServerURLs, QuotaLimitMB, ...) apply
// the code defaults of the real client; Load rejects malformed typed values
// with an error naming the file, the line and the expected form.
//
// Use:
//
//	c, err := clientconfig.Load("atlas.cern.ch", clientconfig.Options{})
//	for _, w := range c.Warnings { slog.Warn(w.String()) }
//	fc, err := c.FetchConfig() // hosts, proxies, timeouts for package fetch
//
// The PAC evaluator for CVMFS_HTTP_PROXY=auto lives in the subpackage pac.
package clientconfig
