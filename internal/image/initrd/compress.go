package initrd

import (
	"bytes"
	"fmt"
	"io"
	"os/exec"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// External compressors give markedly smaller initrds than the pure-Go
// encoders (measured on a 33 MB initrd: klauspost zstd "best" 11.5 MB,
// `zstd -19` 10.3 MB, ulikunitz xz 11.6 MB, `xz -9` 9.1 MB; see
// docs/benchmarks.md), so Debian's zstd and xz are used when installed and
// the Go encoders are the fallback. Both CLI tools are deterministic for a
// given version with one thread, which keeps builds reproducible.
var (
	zstdArgs = []string{"-19", "-T1", "-q", "-c", "--no-progress"}
	// The kernel's XZ decoder wants CRC32 (or no) checks.
	xzArgs = []string{"--format=xz", "--check=crc32", "-9", "-T1", "-q", "-c"}
	// "xz-x86" adds the x86 BCJ filter, 1.6 % smaller on an initrd (108 KB
	// of the default image's 6.9 MB), for kernels whose decoder has it
	// (CONFIG_XZ_DEC_X86, Debian's does; Build checks the kernel's config)
	// and for the PAC helper (xi2/xz decodes it).
	xzX86Args = []string{"--format=xz", "--check=crc32", "--x86", "--lzma2=preset=9", "-T1", "-q", "-c"}
	// The kernel unpacks LZ4's legacy frame format (-l).
	lz4Args = []string{"-l", "-12", "-q", "-c"}
)

// lookPath is exec.LookPath, replaceable in tests to force the fallback.
var lookPath = exec.LookPath

// Compressions lists the accepted Compression values: "zstd" and "xz" for
// releases; "zstd-fast" (the Go encoder alone: 4-8× faster, ~12 % larger)
// for tests and development builds; "lz4" (needs the lz4 tool; ~40 %
// larger than zstd, unpacked faster) and "none" where boot time matters
// more than image size (docs/benchmarks.md, "Boot").
var Compressions = []string{"zstd", "xz", "zstd-fast", "lz4", "none"}

// Compress writes data compressed in a format the kernel unpacks (one of
// Compressions). It reports which encoder ran.
func Compress(w io.Writer, data []byte, compression string) (string, error) {
	switch compression {
	case "zstd":
		if p, err := lookPath("zstd"); err == nil {
			return "zstd -19", runTool(w, data, p, zstdArgs)
		}
		return "klauspost zstd", goZstd(w, data)
	case "zstd-fast":
		return "klauspost zstd", goZstd(w, data)
	case "xz":
		if p, err := lookPath("xz"); err == nil {
			return "xz -9", runTool(w, data, p, xzArgs)
		}
		return "ulikunitz xz", goXZ(w, data)
	case "xz-x86":
		if p, err := lookPath("xz"); err == nil {
			return "xz --x86 -9", runTool(w, data, p, xzX86Args)
		}
		return "ulikunitz xz (no x86 filter)", goXZ(w, data)
	case "lz4":
		p, err := lookPath("lz4")
		if err != nil {
			return "", fmt.Errorf("%w: compression lz4 needs the lz4 tool (apt-get install lz4)", ErrInput)
		}
		return "lz4 -12 (legacy frames)", runTool(w, data, p, lz4Args)
	case "none":
		_, err := w.Write(data)
		return "none", err
	}
	return "", fmt.Errorf("%w: compression %q: want one of %v", ErrInput, compression, Compressions)
}

func runTool(w io.Writer, data []byte, path string, args []string) error {
	var stderr bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(data), w, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("initrd: %s: %w: %s", path, err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}

func goZstd(w io.Writer, data []byte) error {
	enc, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedBestCompression),
		zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(8<<20))
	if err != nil {
		return err
	}
	if _, err := enc.Write(data); err != nil {
		enc.Close()
		return err
	}
	return enc.Close()
}

func goXZ(w io.Writer, data []byte) error {
	xw, err := xz.WriterConfig{CheckSum: xz.CRC32, DictCap: 8 << 20}.NewWriter(w)
	if err != nil {
		return err
	}
	if _, err := xw.Write(data); err != nil {
		return err
	}
	return xw.Close()
}
