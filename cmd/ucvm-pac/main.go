// Command ucvm-pac evaluates a PAC file for the bootloader, which does not
// link a JavaScript engine (package pac, ExecEvaluator):
//
//	ucvm-pac URL HOST [TIMEOUT_MS] < script.pac
//
// prints FindProxyForURL(URL, HOST). Exit status 0 on success, 1 when the
// script fails (the reason on standard error), 2 on a usage error.
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/ucvm/ucvm/internal/clientconfig/pac"
	"github.com/ucvm/ucvm/internal/clientconfig/pac/js"
)

// maxScript bounds the PAC file read from standard input.
const maxScript = 4 << 20

func main() {
	code, err := run(os.Args[1:], os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

func run(args []string, in io.Reader, out io.Writer) (int, error) {
	if len(args) < 2 || len(args) > 3 {
		return 2, fmt.Errorf("usage: ucvm-pac URL HOST [TIMEOUT_MS] < script.pac")
	}
	opt := pac.Options{MyIP: os.Getenv("UCVM_PAC_MYIP")}
	if len(args) == 3 {
		ms, err := strconv.Atoi(args[2])
		if err != nil || ms <= 0 {
			return 2, fmt.Errorf("ucvm-pac: timeout %q: want milliseconds > 0", args[2])
		}
		opt.Timeout = time.Duration(ms) * time.Millisecond
	}
	src, err := io.ReadAll(io.LimitReader(in, maxScript+1))
	if err != nil {
		return 1, err
	}
	if len(src) > maxScript {
		return 1, fmt.Errorf("%w: script larger than %d bytes", pac.ErrPAC, maxScript)
	}
	answer, err := js.Evaluate(string(src), args[0], args[1], opt)
	if err != nil {
		return 1, err
	}
	_, err = fmt.Fprintln(out, answer)
	return 0, err
}
