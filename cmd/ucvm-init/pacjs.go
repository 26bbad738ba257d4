//go:build pacjs

package main

// Built with -tags pacjs (images whose initrd is compressed to be small,
// bootbin.PACInInit), /init evaluates PAC files in process; otherwise it
// runs the compressed helper cmd/ucvm-pac (boot.InstallPACHelper).
import _ "github.com/ucvm/ucvm/internal/clientconfig/pac/js"
