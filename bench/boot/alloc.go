package main

import "syscall"

// allocated returns the bytes a sparse file occupies on disk.
func allocated(p string) int64 {
	var st syscall.Stat_t
	if syscall.Stat(p, &st) != nil {
		return 0
	}
	return st.Blocks * 512
}
