// Package boot implements the steps of the ucvm bootloader (/init): kernel
// command line, early mounts and module loading, console messages, network,
// scratch disk, repository mount, overlay root, hand-over and shutdown.
//
// Every step that touches hardware sits behind a small interface so that the
// logic can be tested on the host; the QEMU boot tests exercise the real thing.
package boot
