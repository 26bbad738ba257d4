// Command ucvm-init is the bootloader /init of the ucvm initramfs. It mounts
// the kernel file systems, prints the banner and runs the boot sequence of
// internal/boot. Started with argv[0] beginning with '@' it runs as the
// repository client daemon instead (see internal/boot).
package main

import (
	"os"

	"github.com/ucvm/ucvm/internal/boot"
)

func main() {
	os.Exit(boot.Main(os.Args))
}
