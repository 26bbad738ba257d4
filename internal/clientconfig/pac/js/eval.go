package js

import (
	"errors"
	"fmt"
	"time"

	"github.com/robertkrimen/otto"

	"github.com/ucvm/ucvm/internal/clientconfig/pac"
)

func init() { pac.SetEvaluator(Evaluate) }

// errHalt is what the interrupt handler panics with when the time limit
// expires; Evaluate recovers it.
var errHalt = errors.New("time limit exceeded")

// maxDepth bounds JavaScript recursion: deep recursion is an error, not a
// Go stack overflow.
const maxDepth = 500

// Evaluate runs FindProxyForURL(rawURL, host) of the PAC script src.
func Evaluate(src, rawURL, host string, opt pac.Options) (answer string, err error) {
	opt = opt.WithDefaults()
	vm := otto.New()
	vm.SetStackDepthLimit(maxDepth)
	vm.Interrupt = make(chan func(), 1)
	timer := time.AfterFunc(opt.Timeout, func() { vm.Interrupt <- func() { panic(errHalt) } })
	defer timer.Stop()
	defer func() {
		if r := recover(); r != nil {
			if r != errHalt {
				panic(r)
			}
			answer, err = "", fmt.Errorf("%w: %v", pac.ErrPAC, errHalt)
		}
	}()
	if err := install(vm, opt); err != nil {
		return "", fmt.Errorf("%w: helpers: %v", pac.ErrPAC, err)
	}
	if _, err := vm.Run(src); err != nil {
		return "", fmt.Errorf("%w: loading script: %v", pac.ErrPAC, err)
	}
	if fn, err := vm.Get("FindProxyForURL"); err != nil || !fn.IsFunction() {
		return "", fmt.Errorf("%w: the script defines no function FindProxyForURL", pac.ErrPAC)
	}
	res, err := vm.Call("FindProxyForURL", nil, rawURL, host)
	if err != nil {
		return "", fmt.Errorf("%w: FindProxyForURL: %v", pac.ErrPAC, err)
	}
	return res.String(), nil
}
