#!/usr/bin/env bash
# Every benchmark of docs/benchmarks.md, one suite after another; each
# prints the table its section of docs/benchmarks.md records, with the
# baseline measured in the same run.
#
#   bench/run.sh [go] [publish] [client] [boot]     (default: all four)
#
#   go       go test -bench over the packages that have benchmarks
#   publish  bench/publish.sh (a 100,000-file tree: tar|gzip|sha1sum baseline)
#   client   bench/client/run.sh (root: reads through ucvm mount, local disk
#            and a go-fuse passthrough)
#   boot     go run ./bench/boot -runs 3 -icount 2 -profile (root, QEMU; needs
#            the Debian tree and repository of `make demo` in $UCVM_DEMO_DIR/vm,
#            default /var/tmp/ucvm-demo/vm)
set -euo pipefail
cd "$(dirname "$0")/.."
DEMO=${UCVM_DEMO_DIR:-/var/tmp/ucvm-demo}/vm
GO=${GO:-go}
suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=(go publish client boot)
for s in "${suites[@]}"; do
	case "$s" in
	go | publish | client | boot) ;;
	*) echo "bench/run.sh: unknown suite \"$s\": want go, publish, client or boot" >&2; exit 2 ;;
	esac
done
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
for s in "${suites[@]}"; do
	case "$s" in
	go)
		say "go test -bench (${BENCHTIME:-1s} per benchmark)"
		pkgs=$(grep -rl --include='*_test.go' '^func Benchmark' internal | xargs -n1 dirname | sort -u | sed 's|^|./|')
		# shellcheck disable=SC2086
		"$GO" test -run '^$' -bench . -benchtime "${BENCHTIME:-1s}" $pkgs
		;;
	publish)
		say "publish (bench/publish.sh)"
		bench/publish.sh
		;;
	client)
		say "client (bench/client/run.sh)"
		bench/client/run.sh
		;;
	boot)
		say "boot (go run ./bench/boot)"
		if [ ! -d "$DEMO/osroot" ] || [ ! -d "$DEMO/storage" ]; then
			echo "bench/run.sh: no demo OS tree and repository in $DEMO: run \`make demo\` first (or set UCVM_DEMO_DIR)" >&2
			exit 1
		fi
		"$GO" run ./bench/boot -work "$DEMO" -runs 3 -icount 2 -profile
		;;
	esac
done
