#!/usr/bin/env bash
# Publish benchmark (issue 2, "Performance"): generate the deterministic
# software-like tree (bench/gen), then measure with the same warm page cache
#   1. baseline: tar | gzip -6 | sha1sum of the same tree (one stream of the
#      minimal work: read, compress, hash) — measured in the same run;
#   2. a full `ucvm publish` (files/s, MB/s, peak RSS);
#   3. a 1 % incremental publish after `bench/gen -mutate 1`;
#   4. `ucvm tree` over the result.
#
#   bench/publish.sh [-files N] [-bytes B] [-work DIR] [-keep]
#
# -work on a tmpfs (e.g. /dev/shm/ucvm-bench) takes the disk out of the
# measurement. Prints a Markdown table for docs/benchmarks.md.
set -euo pipefail
FILES=100000 BYTES=400000000 WORK=/tmp/ucvm-bench-publish KEEP=0
while [ $# -gt 0 ]; do
	case "$1" in
	-files) FILES=$2; shift 2 ;;
	-bytes) BYTES=$2; shift 2 ;;
	-work) WORK=$2; shift 2 ;;
	-keep) KEEP=1; shift ;;
	*) echo "usage: $0 [-files N] [-bytes B] [-work DIR] [-keep]" >&2; exit 2 ;;
	esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export PATH=/usr/local/go/bin:$PATH
FQRN=bench.publish.local
SRC=$WORK/src STORE=$WORK/storage KEYS=$WORK/keys
cleanup() { [ "$KEEP" = 1 ] || rm -rf "$WORK"; }
trap cleanup EXIT
rm -rf "$WORK" && mkdir -p "$WORK"
cd "$ROOT"
go build -o "$WORK/ucvm" ./cmd/ucvm
go build -o "$WORK/gen" ./bench/gen
UCVM=$WORK/ucvm

"$WORK/gen" -out "$SRC" -files "$FILES" -bytes "$BYTES" >&2
ENTRIES=$(find "$SRC" -mindepth 1 | wc -l)
sync

# measure LABEL CMD...: runs CMD under /usr/bin/time, sets SECS and RSS_MB.
measure() {
	local label=$1; shift
	/usr/bin/time -f '%e %M' -o "$WORK/time.$label" "$@" >"$WORK/out.$label" 2>"$WORK/err.$label" ||
		{ echo "$label failed:" >&2; tail -5 "$WORK/err.$label" >&2; exit 1; }
	read -r SECS RSS_KB <"$WORK/time.$label"
	RSS_MB=$((RSS_KB / 1024))
}

# Warm the page cache, then the baseline.
tar -C "$SRC" -cf - . >/dev/null
measure baseline sh -c "tar -C '$SRC' -cf - . | gzip -6 | sha1sum"
BASE=$SECS

"$UCVM" repo create "$FQRN" --storage "$STORE" --keys "$KEYS" >/dev/null
measure full "$UCVM" publish "$FQRN" --storage "$STORE" --keys "$KEYS" -q "$SRC"
FULL=$SECS FULL_RSS=$RSS_MB

"$WORK/gen" -out "$SRC" -files "$FILES" -bytes "$BYTES" -mutate 1 >&2
measure incr "$UCVM" publish "$FQRN" --storage "$STORE" --keys "$KEYS" -q "$SRC"
INCR=$SECS INCR_RSS=$RSS_MB

measure tree "$UCVM" tree "$FQRN" --storage "$STORE" --key "$KEYS"
TREE=$SECS TREE_RSS=$RSS_MB
LINES=$(wc -l <"$WORK/out.tree")
[ "$LINES" -eq "$ENTRIES" ] || { echo "tree lists $LINES entries, source has $ENTRIES" >&2; exit 1; }

MB=$(awk -v b="$BYTES" 'BEGIN{printf "%.0f", b/1e6}')
rate() { awk -v n="$1" -v s="$2" 'BEGIN{printf "%.0f", n/s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
echo "| step | seconds | entries/s | MB/s | peak RSS MB | time / baseline |"
echo "|---|---|---|---|---|---|"
echo "| baseline: tar \| gzip -6 \| sha1sum ($ENTRIES entries, $MB MB) | $BASE | $(rate "$ENTRIES" "$BASE") | $(rate "$MB" "$BASE") | - | 1.00 |"
echo "| ucvm publish, full | $FULL | $(rate "$ENTRIES" "$FULL") | $(rate "$MB" "$FULL") | $FULL_RSS | $(ratio "$FULL" "$BASE") |"
echo "| ucvm publish, 1 % changed | $INCR | $(rate "$ENTRIES" "$INCR") | - | $INCR_RSS | $(ratio "$INCR" "$BASE") |"
echo "| ucvm tree ($LINES lines) | $TREE | $(rate "$LINES" "$TREE") | - | $TREE_RSS | $(ratio "$TREE" "$BASE") |"
echo
echo "machine: $(nproc) cores, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg); work dir $WORK ($(df -T "$WORK" | awk 'NR==2{print $2}'))"
