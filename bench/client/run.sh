#!/usr/bin/env bash
# Client benchmark (issue 3, "Performance"): read a generated tree through
# `ucvm mount` served by `ucvm serve` on loopback, against two baselines
# measured in the same run: the same tree on local disk and a plain go-fuse
# passthrough mount of it. Needs root (drop_caches, FUSE).
#
#   bench/client/run.sh [-files N] [-bytes B] [-work DIR] [-keep]
#
# Prints a Markdown table (seconds and ratios to the baselines).
set -euo pipefail
FILES=100000 BYTES=400000000 WORK=/tmp/ucvm-bench-client KEEP=0 PORT=18765
while [ $# -gt 0 ]; do
	case "$1" in
	-files) FILES=$2; shift 2 ;;
	-bytes) BYTES=$2; shift 2 ;;
	-work) WORK=$2; shift 2 ;;
	-keep) KEEP=1; shift ;;
	*) echo "usage: $0 [-files N] [-bytes B] [-work DIR] [-keep]" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (drop_caches, FUSE)" >&2; exit 1; }
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export PATH=/usr/local/go/bin:$PATH
FQRN=bench.client.local
SRC=$WORK/src STORE=$WORK/storage KEYS=$WORK/keys CFG=$WORK/etc MNT=$WORK/mnt PMNT=$WORK/pmnt
PIDS=()
cleanup() {
	fusermount3 -u "$MNT" 2>/dev/null || true
	fusermount3 -u "$PMNT" 2>/dev/null || true
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	[ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

mkdir -p "$WORK" "$MNT" "$PMNT" "$CFG/config.d"
(cd "$ROOT" && go build -o "$WORK/ucvm" ./cmd/ucvm && go build -o "$WORK/passthrough" ./bench/client/passthrough)
UCVM=$WORK/ucvm

if [ ! -d "$SRC" ]; then
	(cd "$ROOT" && go run ./bench/gen -out "$SRC" -files "$FILES" -bytes "$BYTES") >&2
fi
if [ ! -f "$STORE/.cvmfspublished" ] || [ ! -s "$WORK/published" ]; then
	rm -rf "$STORE" "$KEYS"
	"$UCVM" repo create "$FQRN" --storage "$STORE" --keys "$KEYS" >&2
	"$UCVM" publish "$FQRN" --storage "$STORE" --keys "$KEYS" -q "$SRC" >&2
	echo yes >"$WORK/published"
fi
"$UCVM" serve --listen 127.0.0.1:$PORT -q "$STORE" >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/cvmfs/$FQRN/.cvmfspublished" >/dev/null && break; sleep 0.1; done

cat >"$CFG/config.d/$FQRN.conf" <<EOF
CVMFS_SERVER_URL=http://127.0.0.1:$PORT/cvmfs/@fqrn@
CVMFS_HTTP_PROXY=DIRECT
CVMFS_PUBLIC_KEY=$KEYS/$FQRN.pub
CVMFS_CACHE_BASE=$WORK/cache
CVMFS_QUOTA_LIMIT=4000
EOF

drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }
mountc() { "$UCVM" mount "$FQRN" "$MNT" --config-dir "$CFG" --log-file "$WORK/mount.log"; }
umountc() { fusermount3 -u "$MNT"; sleep 0.5; }
# secs CMD...: wall-clock seconds of CMD
secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l | xargs printf '%.2f'; }
readall() { cd "$1" && find . -type f -print0 | xargs -0 cat >/dev/null; }
readpar() { cd "$1" && find . -type f -print0 | xargs -0 -P8 -n 256 cat >/dev/null; }
statall() { cd "$1" && find . -printf '%s %m %u %T@\n' >/dev/null; }

declare -A R
# Baseline 1: local disk.
drop; R[disk_cold]=$(secs readall "$SRC")
R[disk_hot]=$(secs readall "$SRC")
R[disk_stat]=$(secs statall "$SRC")
drop; R[disk_par]=$(secs readpar "$SRC")
# Baseline 2: go-fuse passthrough of the same directory.
"$WORK/passthrough" "$SRC" "$PMNT" >/dev/null & PIDS+=($!)
for _ in $(seq 50); do mountpoint -q "$PMNT" && break; sleep 0.1; done
drop; R[pt_cold]=$(secs readall "$PMNT")
R[pt_hot]=$(secs readall "$PMNT")
R[pt_stat]=$(secs statall "$PMNT")
fusermount3 -u "$PMNT"
# ucvm: cold (empty cache), warm (cache full, page cache dropped), hot.
rm -rf "$WORK/cache"; mountc
drop; R[cold]=$(secs readall "$MNT")
R[hot]=$(secs readall "$MNT")
R[stat]=$(secs statall "$MNT")
umountc; mountc
drop; R[warm]=$(secs readall "$MNT")
umountc
rm -rf "$WORK/cache"; mountc
drop; R[cold_par]=$(secs readpar "$MNT")
umountc

ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
n=$(find "$SRC" -type f | wc -l)
dc=${R[disk_cold]}
cat <<EOF
Tree: $n files, $(du -sb "$SRC" | cut -f1) bytes ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))

| run | seconds | files/s | vs local disk cold | vs local disk, same state | vs go-fuse passthrough, same state |
|---|---|---|---|---|---|
| local disk, cold (page cache dropped) | $dc | $(ratio $n $dc | cut -d. -f1) | 1.00 | 1.00 | |
| local disk, hot | ${R[disk_hot]} | | $(ratio ${R[disk_hot]} $dc) | 1.00 | |
| passthrough go-fuse, cold | ${R[pt_cold]} | | $(ratio ${R[pt_cold]} $dc) | $(ratio ${R[pt_cold]} $dc) | 1.00 |
| passthrough go-fuse, hot | ${R[pt_hot]} | | $(ratio ${R[pt_hot]} $dc) | $(ratio ${R[pt_hot]} ${R[disk_hot]}) | 1.00 |
| **ucvm cold** (empty cache, HTTP loopback) | ${R[cold]} | $(ratio $n ${R[cold]} | cut -d. -f1) | $(ratio ${R[cold]} $dc) | $(ratio ${R[cold]} $dc) | $(ratio ${R[cold]} ${R[pt_cold]}) |
| **ucvm warm** (cache full, page cache dropped) | ${R[warm]} | $(ratio $n ${R[warm]} | cut -d. -f1) | $(ratio ${R[warm]} $dc) | $(ratio ${R[warm]} $dc) | $(ratio ${R[warm]} ${R[pt_cold]}) |
| **ucvm hot** | ${R[hot]} | | $(ratio ${R[hot]} $dc) | $(ratio ${R[hot]} ${R[disk_hot]}) | $(ratio ${R[hot]} ${R[pt_hot]}) |
| stat storm (find -printf, every entry), local disk hot | ${R[disk_stat]} | | | 1.00 | |
| stat storm, passthrough | ${R[pt_stat]} | | | $(ratio ${R[pt_stat]} ${R[disk_stat]}) | 1.00 |
| **stat storm, ucvm** (after a hot read) | ${R[stat]} | | | $(ratio ${R[stat]} ${R[disk_stat]}) | $(ratio ${R[stat]} ${R[pt_stat]}) |
| 8 parallel readers, local disk cold | ${R[disk_par]} | | | 1.00 | |
| **8 parallel readers, ucvm cold** | ${R[cold_par]} | $(ratio $n ${R[cold_par]} | cut -d. -f1) | | $(ratio ${R[cold_par]} ${R[disk_par]}) | |
EOF
