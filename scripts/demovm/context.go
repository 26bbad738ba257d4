package main

// The demo OS applies its user data with a small unit: the bootloader saved
// the user data in /mnt/.rw/context/user-data; the section [ucvm-demo]
// carries hostname= and message= lines (plain data, never executed).
const contextScript = `#!/bin/sh
ud=/mnt/.rw/context/user-data
[ -r "$ud" ] || { echo "UCVM-DEMO no user data"; exit 0; }
val() { sed -n '/^\[ucvm-demo\]/,/^\[/p' "$ud" | tr -d '\r' | sed -n "s/^$1=//p" | head -n1; }
h=$(val hostname | tr -cd 'A-Za-z0-9.-')
m=$(val message)
if [ -n "$h" ]; then
  echo "$h" > /etc/hostname
  hostname "$h"
fi
[ -n "$m" ] && printf '%s\n' "$m" > /etc/motd
echo "UCVM-DEMO hostname=$(hostname) message=$m"
`

const contextUnit = `[Unit]
Description=ucvm demo: apply hostname and message from the user data
DefaultDependencies=no
After=local-fs.target
Before=getty.target serial-getty@ttyS0.service ucvm-os-up.service

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ucvm-demo-context
StandardOutput=journal+console

[Install]
WantedBy=multi-user.target
`

// reportUnit prints what the demo reports, the cache size on the scratch
// disk, once the OS is up: walking the cache during the boot slowed the
// measured boot by up to a second under emulation.
const reportUnit = `[Unit]
Description=ucvm demo: report the cache size
After=multi-user.target ucvm-os-up.service

[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo "UCVM-DEMO cache_kb=$(du -sk /mnt/.rw/cache 2>/dev/null | cut -f1)" >/dev/console'

[Install]
WantedBy=multi-user.target
`

// userData is what a user would paste into the cloud's user-data field.
const userData = `[ucvm-demo]
hostname=ucvm-demo
message=Hello from the user data: this Debian was booted from a CernVM-FS repository by ucvm
[ucernvm-begin]
resize_rootfs=off
cvmfs_http_proxy=DIRECT
[ucernvm-end]
`
