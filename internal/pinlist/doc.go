// Package pinlist builds the bootloader's pin list (`.ucernvm_pinfiles` at
// the root of an OS tree) from what a profiling boot fetched: the access log
// of `ucvm serve` names every object the boot downloaded; the files of the
// OS tree whose objects were all among them, in the order the boot first
// asked for them, are the core file set. With that list in the OS tree the
// bootloader's pinner downloads the set with several workers while the OS
// starts, so a cold boot waits less on round trips, and the set stays in
// the cache whatever the quota (the original µCernVM's OS repositories ship
// such a list, maintained by hand).
package pinlist
