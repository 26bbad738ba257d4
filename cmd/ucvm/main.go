// Command ucvm is the single entry point of the ucvm system: repository
// publisher and server, CernVM-FS client, image builder and appliance tools.
//
// main stays thin: every subcommand lives in its own file of this package and
// only translates flags into calls of internal/<domain> packages.
package main

import (
	"errors"
	"fmt"
	"os"

	_ "github.com/ucvm/ucvm/internal/clientconfig/pac/js" // PAC files, in process
	"github.com/ucvm/ucvm/internal/cliutil"
)

func main() {
	err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "ucvm:", err)
	}
	os.Exit(cliutil.ExitCode(err))
}

// run builds the command tree and executes it with args.
func run(args []string) error {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.Execute()
	var ec *cliutil.ExitError
	if errors.As(err, &ec) && ec.Err == nil {
		return ec
	}
	return err
}
