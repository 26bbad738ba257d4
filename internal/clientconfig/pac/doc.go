// Package pac resolves proxy auto-configuration (PAC) files for
// CVMFS_HTTP_PROXY=auto / CVMFS_PAC_URLS (spec cvmfs-format.md §10.3):
// Evaluate runs FindProxyForURL(url, host) with the installed Evaluator
// and Groups turns its answer ("PROXY a:3128; PROXY b:3128; DIRECT") into
// proxy groups, ignoring SOCKS entries as cvmfs does.
//
// The JavaScript engine is not in this package: package pac/js (otto)
// installs itself when a program imports it (the ucvm CLI does). The
// bootloader does not link it (3.4 MB of its 13 MB /init, paid by every
// boot for unpacking the initrd; docs/benchmarks.md, stop 17): it runs
// cmd/ucvm-pac, kept xz-compressed in the initrd and unpacked on first
// use, through ExecEvaluator.
package pac
