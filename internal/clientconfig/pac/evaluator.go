package pac

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// An Evaluator runs FindProxyForURL(rawURL, host) of the PAC script src
// and returns its answer.
type Evaluator func(src, rawURL, host string, opt Options) (string, error)

var (
	evalMu    sync.RWMutex
	evaluator Evaluator
)

// SetEvaluator installs the evaluator that Evaluate uses. A binary links
// a JavaScript engine by importing package pac/js (which installs
// js.Evaluate, in process); the bootloader, whose initrd has no room for
// one, installs an ExecEvaluator of its compressed helper instead.
func SetEvaluator(e Evaluator) {
	evalMu.Lock()
	defer evalMu.Unlock()
	evaluator = e
}

// HasEvaluator reports whether an evaluator is installed.
func HasEvaluator() bool {
	evalMu.RLock()
	defer evalMu.RUnlock()
	return evaluator != nil
}

// Evaluate runs FindProxyForURL(rawURL, host) of src with the installed
// evaluator.
func Evaluate(src, rawURL, host string, opt Options) (string, error) {
	evalMu.RLock()
	e := evaluator
	evalMu.RUnlock()
	if e == nil {
		return "", fmt.Errorf("%w: this program has no JavaScript engine (import package pac/js or install a helper)", ErrPAC)
	}
	return e(src, rawURL, host, opt)
}

// MaxAnswer bounds the answer of a helper process.
const MaxAnswer = 64 << 10

// ExecEvaluator evaluates in a helper process (cmd/ucvm-pac): path()
// returns the helper's path (and may unpack it first); the helper gets
// the script on standard input and URL, HOST and the time limit in
// milliseconds as arguments, and prints the answer. Options.Resolve and
// Now do not cross the process boundary: the helper resolves names with
// the system's DNS, as the in-process default does.
func ExecEvaluator(path func() (string, error)) Evaluator {
	return func(src, rawURL, host string, opt Options) (string, error) {
		opt = opt.WithDefaults()
		bin, err := path()
		if err != nil {
			return "", fmt.Errorf("%w: helper: %v", ErrPAC, err)
		}
		// the helper bounds the script by the limit; this bounds the helper
		ctx, cancel := context.WithTimeout(context.Background(), opt.Timeout+5*time.Second)
		defer cancel()
		var out, errb bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, rawURL, host, strconv.FormatInt(opt.Timeout.Milliseconds(), 10))
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(src), &limited{b: &out}, &limited{b: &errb}
		if opt.MyIP != "127.0.0.1" {
			cmd.Env = append(cmd.Environ(), "UCVM_PAC_MYIP="+opt.MyIP)
		}
		if err := cmd.Run(); err != nil {
			if msg := strings.TrimSpace(errb.String()); msg != "" {
				return "", fmt.Errorf("%w: %s", ErrPAC, strings.TrimPrefix(msg, ErrPAC.Error()+": "))
			}
			return "", fmt.Errorf("%w: helper %s: %v", ErrPAC, bin, err)
		}
		return strings.TrimSpace(out.String()), nil
	}
}

// limited keeps the first MaxAnswer bytes written to it.
type limited struct{ b *bytes.Buffer }

func (l *limited) Write(p []byte) (int, error) {
	if room := MaxAnswer - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
