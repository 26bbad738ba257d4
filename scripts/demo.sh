#!/usr/bin/env bash
# The main job of ucvm, end to end: publish an OS tree into a CernVM-FS
# repository, serve it on 127.0.0.1 and read it back, verified.
# Then boots a Debian VM from a repository (scripts/demovm).
set -euo pipefail
cd "$(dirname "$0")/.."
UCVM=$PWD/bin/ucvm
OUT=${UCVM_DEMO_DIR:-/var/tmp/ucvm-demo} # outside the module: go ./... must not walk an OS tree
FQRN=demo.ucvm.local
PORT=${UCVM_DEMO_PORT:-8087}
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

rm -rf "$OUT/storage" "$OUT/keys" "$OUT/src"
mkdir -p "$OUT/src"
say "A small OS tree to publish (busybox, a few files, a nested catalog)"
mkdir -p "$OUT/src/bin" "$OUT/src/etc" "$OUT/src/usr/share/doc/.." "$OUT/src/usr/lib"
cp /bin/busybox "$OUT/src/bin/busybox" 2>/dev/null || cp "$(command -v busybox)" "$OUT/src/bin/busybox"
for a in sh ls cat echo; do ln -sf busybox "$OUT/src/bin/$a"; done
echo "demo" > "$OUT/src/etc/hostname"
printf 'Welcome to an OS published with ucvm\n' > "$OUT/src/etc/motd"
cp -r /usr/share/doc/coreutils* /usr/share/doc/bash* "$OUT/src/usr/share/doc/" 2>/dev/null || true
touch "$OUT/src/usr/lib/.cvmfscatalog"
cp -r /usr/lib/os-release "$OUT/src/usr/lib/" 2>/dev/null || true
du -sh "$OUT/src"

say "ucvm repo create $FQRN"
"$UCVM" repo create "$FQRN" --storage "$OUT/storage" --keys "$OUT/keys"

say "ucvm publish (tag v1)"
"$UCVM" publish "$FQRN" --storage "$OUT/storage" --keys "$OUT/keys" --tag v1 "$OUT/src"

say "ucvm serve on 127.0.0.1:$PORT"
"$UCVM" serve --listen "127.0.0.1:$PORT" --quiet --ready-file "$OUT/ready" "$OUT/storage" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do [ -s "$OUT/ready" ] && break; sleep 0.1; done
URL="http://127.0.0.1:$PORT/cvmfs/@fqrn@"

say "ucvm info (manifest, whitelist and certificate verified with the master key)"
"$UCVM" info "$FQRN" --url "$URL" --key "$OUT/keys/$FQRN.pub"

say "ucvm cat /etc/motd over HTTP"
"$UCVM" cat "$FQRN" /etc/motd --url "$URL" --key "$OUT/keys/$FQRN.pub"

say "ucvm tree: the published tree read back over HTTP"
"$UCVM" tree "$FQRN" --url "$URL" --key "$OUT/keys/$FQRN.pub" > "$OUT/tree.txt"
head -5 "$OUT/tree.txt"
echo "... $(wc -l < "$OUT/tree.txt") entries"

kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null || true; trap - EXIT

say "Now the real thing: a Debian VM booted from a repository"
go build -o bin/demovm ./scripts/demovm
bin/demovm -work "$OUT/vm" -ucvm "$UCVM" -port $((PORT + 1))
say "done (run make demo again to boot with a warm cache)"
