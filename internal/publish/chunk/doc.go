// Package chunk implements the content-defined file chunking of CernVM-FS
// publishers (the "xor32" detector, format spec §7), so that ucvm cuts large
// files at exactly the offsets the real cvmfs_server chooses and objects
// deduplicate across both publishers.
//
// Algorithm (per chunk starting at offset c):
//
//   - a uint32 state x is reset to 0 and updated per byte as x = x<<1 ^ b
//     (only the last 32 bytes influence it);
//   - the bytes c+Min-32 .. c+Min-1 are fed without testing;
//   - from offset i = c+Min on, byte i is fed and, when
//     |x - 0x7FFFFFFF| < floor(0xFFFFFFFF/Avg), the chunk ends before byte i
//     (byte i starts the next chunk, whose state starts again from 0);
//   - without such a cut the chunk ends hard at c+Max; the last chunk ends at EOF
//     and may be shorter than Min.
//
// Which side of byte i the cut lies on was settled against the chunk lists
// of the real fixture repository (the files are rebuilt from its P objects in
// TestFixtureCutPoints): every cut of cvmfs_server 2.12 matches, e.g.
// big_text.txt is cut at 4194306, 8409634, 15360034 (and 20972453 in v2).
//
// Only files larger than Min are candidates (Params.Candidate); a candidate
// that yields a single piece is stored as a normal whole-file object by the
// caller (Chunk.Sole).
//
// Split streams: it holds at most Max+64 KiB of the input at a time and hands
// each chunk to a callback as a byte slice that is valid only during the call.
package chunk
