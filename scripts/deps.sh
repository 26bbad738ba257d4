#!/usr/bin/env bash
# Installs what ucvm's build, tests and demo need on Debian 12 (run as root).
# Idempotent: does nothing when everything is already present.
set -euo pipefail
pkgs=(qemu-system-x86 qemu-utils fuse3 squid isolinux syslinux syslinux-common
      syslinux-utils mtools dosfstools xorriso ovmf busybox-static kmod cpio zstd lz4
      xz-utils e2fsprogs erofs-utils mmdebstrap zlib1g-dev openssl ca-certificates gcc
      grub-efi-amd64-bin grub-common)
need=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if ((${#need[@]})); then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing Debian packages: ${need[*]}; run 'sudo make deps'" >&2
    exit 1
  fi
  echo "deps: installing ${need[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"
fi
if ! command -v go >/dev/null 2>&1 && [ ! -x /usr/local/go/bin/go ]; then
  echo "deps: Go $(sed -n 's/^go //p' go.mod) or newer is required (https://go.dev/doc/install); Debian 12's golang-go is too old" >&2
  exit 1
fi
go mod download
