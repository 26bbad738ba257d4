package boot

import (
	"fmt"
	"os"
	"sync"

	"github.com/pierrec/lz4/v4"
)

// BusyboxLZ4 is the initrd's busybox, LZ4-compressed, in an initrd that is
// itself compressed to be fast to unpack (lz4, none; spec.FastUnpack):
// most boots never run busybox, and its 2 MB unpacked by the kernel cost
// every boot 0.03 s under emulation (docs/benchmarks.md, stop 17). It is
// unpacked to Busybox when a boot needs it: the first boot's aux/busybox,
// the rescue shell, a bootstrap script.
const BusyboxLZ4 = Busybox + ".lz4"

// maxBusybox bounds the unpacked busybox.
const maxBusybox = 64 << 20

var (
	busyboxOnce sync.Once
	busyboxPath string
)

// busybox returns the path of the initrd's busybox, unpacking BusyboxLZ4
// on first use; "" if the initrd has none (or it cannot be unpacked: the
// reason goes to the console).
func busybox() string {
	busyboxOnce.Do(func() {
		if exists(Busybox) {
			busyboxPath = Busybox
			return
		}
		if !exists(BusyboxLZ4) {
			return
		}
		if err := unpackLZ4(BusyboxLZ4, Busybox); err != nil {
			fmt.Fprintf(os.Stderr, "[WRN] %v\n", err)
			return
		}
		busyboxPath = Busybox
	})
	return busyboxPath
}

// unpackLZ4 writes the LZ4 frame src, decompressed, to dst (mode 0755).
func unpackLZ4(src, dst string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := writeExecutable(dst, lz4.NewReader(f), maxBusybox); err != nil {
		return fmt.Errorf("unpacking %s: %w", src, err)
	}
	return nil
}
