#!/usr/bin/env bash
# mkdebian.sh OUTDIR — build a Debian bookworm OS tree for ucvm with mmdebstrap.
#
#   minbase + systemd + systemd-sysv + udev + iproute2 + a few basics, a login
#   prompt on the serial console (serial-getty@ttyS0), an empty root password,
#   and ucvm-os-up.service, which prints "UCVM-OS-UP" on the console once
#   multi-user.target is reached.
#
# The mirror comes from this machine's own apt sources (/etc/apt/sources.list,
# /etc/apt/sources.list.d/*.list and deb822 *.sources): the entries whose
# suites are bookworm, bookworm-updates or bookworm-security. Override with
# UCVM_DEBIAN_MIRROR="URI [URI...]" (main archive URIs, suites derived);
# UCVM_APT_DIR (default /etc/apt) names another apt configuration to read.
#
# Cached: OUTDIR/.complete records the package list and the mirrors; when
# they are unchanged, the script does nothing. The tree is built next to
# OUTDIR and renamed into place, so OUTDIR is never half-written.
# Needs root (mmdebstrap --mode=root) and mmdebstrap (scripts/deps.sh).
set -euo pipefail

SUITE=bookworm
PACKAGES="systemd,systemd-sysv,udev,iproute2,procps,kmod,netbase,login,passwd,less,ca-certificates"
MARKER=UCVM-OS-UP
APT_DIR=${UCVM_APT_DIR:-/etc/apt}

die() { echo "mkdebian: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: mkdebian.sh OUTDIR"
OUT=$(realpath -m "$1")
command -v mmdebstrap >/dev/null || die "mmdebstrap not found: run scripts/deps.sh (apt-get install mmdebstrap)"
[ "$(id -u)" = 0 ] || die "needs root (mmdebstrap --mode=root keeps device nodes and ownership)"

# sources_entries prints "URI SUITE COMPONENTS..." for every bookworm entry
# of the machine's apt sources (one-line and deb822 formats).
sources_entries() {
  local f
  for f in "$APT_DIR/sources.list" "$APT_DIR"/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # deb [opts] URI SUITE COMP...
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
      awk '$1=="deb" && NF>=4 {c=$4; for (i=5; i<=NF; i++) c=c" "$i; print $2, $3, c}'
  done
  for f in "$APT_DIR"/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "") {
          n = split(uris, u, " "); m = split(suites, s, " ")
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j], comps
        }
        types = uris = suites = comps = ""; enabled = "yes"
      }
      BEGIN { enabled = "yes" }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      {
        key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "")
        if (key == "types") types = $0
        else if (key == "uris") uris = $0
        else if (key == "suites") suites = $0
        else if (key == "components") comps = $0
        else if (key == "enabled") enabled = tolower($0)
      }
      END { flush() }' "$f"
  done
}

mirrors() {
  if [ -n "${UCVM_DEBIAN_MIRROR:-}" ]; then
    for u in $UCVM_DEBIAN_MIRROR; do
      case $u in
        *security*) echo "deb $u $SUITE-security main" ;;
        *) echo "deb $u $SUITE main"; echo "deb $u $SUITE-updates main" ;;
      esac
    done
    return
  fi
  sources_entries | awk -v s="$SUITE" '$2 == s || $2 == s"-updates" || $2 == s"-security" {print "deb", $0}' | sort -u
}

MIRRORS=$(mirrors)
[ -n "$MIRRORS" ] || die "no $SUITE entry in $APT_DIR/sources.list or $APT_DIR/sources.list.d/; set UCVM_DEBIAN_MIRROR=http://your.mirror/debian"
STAMP=$(printf 'suite=%s\npackages=%s\nmarker=%s\n%s\n' "$SUITE" "$PACKAGES" "$MARKER" "$MIRRORS")

# put_file PATH MODE: stdin becomes PATH unless PATH already holds exactly
# that, so that a rerun leaves the tree (and its times) alone and
# publishing it again changes nothing (the OS's boot pack stays valid).
put_file() {
  local tmp
  tmp=$(mktemp) # not beside PATH: a file made and removed there changes its directory's time
  cat >"$tmp"
  if ! cmp -s "$tmp" "$1"; then
    cp "$tmp" "$1"
  fi
  rm -f "$tmp"
  [ "$(stat -c %a "$1")" = "$2" ] || chmod "$2" "$1"
}

# add_marker DIR: the OS-up marker on the console, once multi-user.target is
# reached, with the guest's uptime and CPU counters (bench/boot compares
# guest times). Written on every run (where it differs), so that a cached tree gets
# the current marker without a rebuild.
add_marker() {
mkdir -p "$1/usr/local/sbin" "$1/etc/systemd/system/multi-user.target.wants"
put_file "$1/usr/local/sbin/ucvm-os-up" 755 <<EOF
#!/bin/sh
read -r up idle </proc/uptime
read -r cpu ticks </proc/stat
echo "$MARKER uptime=\$up cpu=\$ticks" >/dev/console
EOF
put_file "$1/etc/systemd/system/ucvm-os-up.service" 644 <<EOF
[Unit]
Description=Print the ucvm OS-up marker on the console
After=multi-user.target

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ucvm-os-up

[Install]
WantedBy=multi-user.target
EOF
local link="$1/etc/systemd/system/multi-user.target.wants/ucvm-os-up.service"
[ "$(readlink "$link")" = ../ucvm-os-up.service ] || ln -sf ../ucvm-os-up.service "$link"
}

if [ -f "$OUT/.complete" ] && [ "$(cat "$OUT/.complete")" = "$STAMP" ]; then
  add_marker "$OUT"
  echo "mkdebian: $OUT is up to date (cached; delete $OUT/.complete to rebuild)"
  exit 0
fi

TMP="$OUT.tmp.$$"
# unmount_below DIR: mmdebstrap can leave /proc (or more) mounted inside the
# tree when a process of the chroot outlives it; never publish or delete a
# tree with live mounts in it.
unmount_below() {
  local m
  for m in $(awk -v d="$1/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m"
  done
}
cleanup() { unmount_below "$TMP"; rm -rf --one-file-system "$TMP"; }
trap cleanup EXIT
rm -rf "$TMP"
START=$(date +%s)
echo "mkdebian: building $SUITE into $OUT from:"
echo "$MIRRORS" | sed 's/^/  /'
args=()
while IFS= read -r line; do args+=("$line"); done <<<"$MIRRORS"
mmdebstrap --mode=root --format=directory --variant=minbase --include="$PACKAGES" \
  --aptopt='Acquire::Retries "3"' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  "$SUITE" "$TMP" "${args[@]}"
unmount_below "$TMP"

mkdir -p "$TMP/etc/systemd/system/multi-user.target.wants" "$TMP/etc/systemd/system/getty.target.wants"
add_marker "$TMP"
# A login prompt on the serial console even without console=ttyS0.
ln -sf /lib/systemd/system/serial-getty@.service "$TMP/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"
# Demo machine: root logs in without a password on the console.
chroot "$TMP" passwd -d root >/dev/null
echo ucvm-debian >"$TMP/etc/hostname"
: >"$TMP/etc/machine-id"
printf '%s\n' "$STAMP" >"$TMP/.complete.tmp"
mv "$TMP/.complete.tmp" "$TMP/.complete"

rm -rf "$OUT.old"
[ -e "$OUT" ] && mv "$OUT" "$OUT.old"
mv "$TMP" "$OUT"
rm -rf "$OUT.old"
trap - EXIT
echo "mkdebian: done in $(( $(date +%s) - START )) s, $(du -sh --apparent-size "$OUT" | cut -f1) ($(find "$OUT" | wc -l) entries)"
