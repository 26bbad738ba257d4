// Package userdata finds and parses cloud user data for the ucvm bootloader.
//
// Sources are tried in the order of µCernVM: media (ConfigDrive, OpenNebula
// context.sh, vSphere user-data.txt, Azure CustomData.bin), then metadata
// services (GCE, EC2, OpenStack, CloudStack) after a parallel port probe.
// User data may be gzip-compressed and MIME multipart. The
// [ucernvm-begin]..[ucernvm-end] block is parsed as data and never executed;
// the result is written as the shell-quoted `_UCONTEXT_KEY='value'` file the
// OS sources (/mnt/.rw/context/ucontext).
package userdata
