// Package update is `ucvm update`, the successor of cernvm-update, run
// inside a booted ucvm machine (or on a root directory in tests). It
// compares the pinned OS snapshot (aux/cvmfs_snapshot on the scratch disk,
// DIR/mnt/.rw) with what an unpinned boot would mount now, and the running
// bootloader (aux/ucernvm-version) with the newest update pack in the
// repository's update-packs/ directory, reading the repository with the
// verified reader over HTTP. It unpins (--apply), forces a tag
// (--force-tag), stages a bootloader update pack into /mnt/.rw/kexec
// (--bootloader, applied by package kexec at the next boot), keeps an
// update notice in /etc/motd (--motd, run daily by the systemd timer of
// Units) and sets the update policy of package rebase (--policy).
//
// Repository access: the optional file aux/update.conf (see ParseConfig)
// or else the magic extended attributes of the OS mount DIR/mnt/.ro
// (user.fqrn, user.host_list, user.proxy), as the original did; the
// repository's public keys are the copy the bootloader keeps in
// aux/keys/<fqrn>/.
package update
