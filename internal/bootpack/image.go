package bootpack

import (
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// ImageType is the file system of a pack's image.
const ImageType = "erofs"

// ImageName is the image's file name in a boot layer directory.
const ImageName = "pack.erofs"

// MkfsTool builds the image (Debian package erofs-utils).
const MkfsTool = "mkfs.erofs"

// EROFS superblock facts the reader checks (linux fs/erofs/erofs_fs.h).
const (
	erofsSuperOffset = 1024
	erofsMagic       = 0xE0F5E1E2
	erofsBlkSzBits   = 12 // 4 KiB blocks: the only size Linux 6.1 mounts
	// ImageHeadSize is how many leading bytes CheckImage needs.
	ImageHeadSize = erofsSuperOffset + 16
)

// MkfsEnv, when set, replaces the compression options of mkfs.erofs
// ("-zlz4hc -C65536"; "" for an uncompressed image): a knob for
// benchmarks (docs/benchmarks.md).
const MkfsEnv = "UCVM_BOOTPACK_MKFS"

// ErrNoMkfs: the tool that builds the image is not installed.
var ErrNoMkfs = errors.New(MkfsTool + " not found: install erofs-utils (apt-get install erofs-utils)")

// CheckImage checks the first ImageHeadSize bytes of an image for an
// EROFS superblock with 4 KiB blocks.
func CheckImage(head []byte) error {
	if len(head) < ImageHeadSize {
		return fmt.Errorf("%w: image of %d bytes is too short", ErrBadPack, len(head))
	}
	sb := head[erofsSuperOffset:]
	if binary.LittleEndian.Uint32(sb) != erofsMagic {
		return fmt.Errorf("%w: the image is not an EROFS file system", ErrBadPack)
	}
	if sb[12] != erofsBlkSzBits {
		return fmt.Errorf("%w: EROFS block size 2^%d (want 2^%d)", ErrBadPack, sb[12], erofsBlkSzBits)
	}
	return nil
}

// mkfs builds the image of dir into out: lz4hc in physical clusters of
// 64 KiB (3 % smaller than 16 KiB ones, 12 % than 4 KiB ones; only a
// snapshot's first boot reads the image, before its layer becomes plain
// files, and there the smaller pack to fetch and hash outweighs the
// larger decompression per page fault: docs/benchmarks.md, stop 15), the
// extended attributes of the staged tree (the opaque marks only), times
// to the nanosecond, and a UUID derived from seed so that the same
// content gives the same image.
func mkfs(ctx context.Context, dir, out string, seed []byte) error {
	tool, err := exec.LookPath(MkfsTool)
	if err != nil {
		return ErrNoMkfs
	}
	s := sha1.Sum(seed)
	uuid := fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
	args := []string{"--quiet", "-zlz4hc", "-C65536"}
	if v, ok := os.LookupEnv(MkfsEnv); ok {
		args = append([]string{"--quiet"}, strings.Fields(v)...)
	}
	args = append(args, "--preserve-mtime", "-U"+uuid, out, dir)
	cmd := exec.CommandContext(ctx, tool, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %w: %s", MkfsTool, err, strings.TrimSpace(string(b)))
	}
	return nil
}
