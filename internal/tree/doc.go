// Package tree produces the canonical listing of a file tree that ucvm uses
// to compare repositories, mounts and source directories:
//
//	path  type  mode  uid  gid  size  mtime  data
//
// one tab-separated line per entry below the root, sorted by path bytes;
// type d f l p c b s; mode 4-digit octal permission bits; size the content
// bytes (0 for directories and special files, target length for symlinks);
// mtime whole seconds; data the SHA-1 of regular file content, the raw
// symlink target, "major,minor" for devices, "-" otherwise. Backslash, tab
// and newline in path and target are written as \\, \t, \n. Hard links print
// as regular files.
package tree
