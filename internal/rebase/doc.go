// Package rebase reconciles the writable overlay layer of a ucvm machine
// (the scratch disk's persistent/ directory, overlayfs upper dir) with a new
// OS snapshot (the lower dir) at the first boot after an OS update — step
// 15rebase of the original µCernVM bootloader, for overlayfs instead of AUFS.
//
// Three policies (the "stay, diverge, rebase" of the µCernVM slides):
//
//   - Stay: the machine keeps its pinned snapshot; Run changes nothing.
//   - Diverge: the new OS is mounted under the unchanged upper layer: every
//     local change (modified files, deletions, opaque directories) stays in
//     force; only the account databases are merged (new OS users and groups
//     added, local ones untouched) and id maps written.
//   - Rebase (default): for every entry of the upper layer that also exists
//     in the new OS: whiteouts (char device 0/0, or a file with the
//     overlay.whiteout xattr) and opaque markers (overlay.opaque xattr) are
//     removed, so deleted OS files reappear; local copies are kept inside
//     /etc, /var (except /var/lib/rpm and /var/lib/dpkg) and /root and
//     deleted elsewhere, so the new OS wins; then the accounts are merged.
//     Local files that the new OS does not have are never touched.
//
// The bootloader calls AtBoot(rwDir, newOSTree, rootHash, fresh, logger)
// right after mounting the repository; it runs the machine's policy when
// the mount was fresh (no pin) and persistent/ is not empty, then the
// bootloader re-mounts the repository with the returned
// uid/gid map files (CVMFS_UID_MAP/CVMFS_GID_MAP format: "<published id>
// <local id>" lines). Everything done is logged to aux/rebase-<id>.log and
// aux/account_merge-<id>.log. The policy is read from aux/update_policy
// (ReadPolicy; written by `ucvm update --policy`).
package rebase
