// Command gen writes the deterministic software-like tree of the publish
// benchmark (issue 2, "Performance"):
//
//	go run ./bench/gen -out DIR [-files 100000 -bytes 400000000 -seed 1]
//	go run ./bench/gen -out DIR -mutate 1   # change 1 % of the files
//
// Layout: 100 top directories d00..d99 with 10 subdirectories s0..s9 each;
// file i lives in d<(i/1000)%100>/s<(i/100)%10> and is named f<i>.txt (even
// i, text) or f<i>.bin (odd i, random bytes). After every 997th file
// (i%997 == 996) a relative symlink l<i> to that file is added, so the
// default tree has 100,000 regular files and 100 symlinks.
//
// Sizes: drawn log-uniformly between 64 B and 64 KiB, then all scaled by one
// factor so that they add up to -bytes exactly (the last file absorbs the
// rounding); with the defaults a file has 27 B .. 27 KiB. Text files are
// slices of a generated word corpus starting with a line naming the file,
// random files come from a ChaCha8 stream seeded by (seed, i). Every file's
// mtime is 1700000000+i, directories get 1700000000.
//
// -mutate N rewrites the 1 % of files with i%100 == (7*N)%100 with new
// content of the same size and mtime 1700000000+i+N: the input of the
// incremental-publish benchmark (run N after N-1).
//
// Everything depends only on the flags, so two runs produce identical trees.
// Files are written by -workers goroutines (default: number of CPUs).
package main
