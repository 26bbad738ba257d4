package js

import (
	"net"
	"strings"

	"github.com/robertkrimen/otto"

	"github.com/ucvm/ucvm/internal/clientconfig/pac"
)

// goFunc is a PAC helper implemented in Go; arguments arrive as strings
// (missing ones as "undefined", as JavaScript would convert them).
type goFunc func(vm *otto.Otto, args []string) otto.Value

// install defines the PAC helper functions in vm: the DNS ones in Go,
// the pure ones in JavaScript.
func install(vm *otto.Otto, opt pac.Options) error {
	for name, fn := range goHelpers(opt) {
		if err := vm.Set(name, wrap(vm, fn)); err != nil {
			return err
		}
	}
	_, err := vm.Run(jsHelpers)
	return err
}

func wrap(vm *otto.Otto, fn goFunc) func(otto.FunctionCall) otto.Value {
	return func(call otto.FunctionCall) otto.Value {
		args := make([]string, len(call.ArgumentList))
		for i, a := range call.ArgumentList {
			args[i] = a.String()
		}
		return fn(vm, args)
	}
}

func arg(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return "undefined"
}

func val(vm *otto.Otto, v any) otto.Value {
	out, err := vm.ToValue(v)
	if err != nil {
		return otto.UndefinedValue()
	}
	return out
}

func goHelpers(opt pac.Options) map[string]goFunc {
	return map[string]goFunc{
		"dnsResolve": func(vm *otto.Otto, a []string) otto.Value {
			if ip, ok := opt.Resolve(arg(a, 0)); ok {
				return val(vm, ip)
			}
			return otto.NullValue()
		},
		"isResolvable": func(vm *otto.Otto, a []string) otto.Value {
			_, ok := opt.Resolve(arg(a, 0))
			return val(vm, ok)
		},
		"myIpAddress": func(vm *otto.Otto, a []string) otto.Value { return val(vm, opt.MyIP) },
		"isInNet": func(vm *otto.Otto, a []string) otto.Value {
			return val(vm, isInNet(opt, arg(a, 0), arg(a, 1), arg(a, 2)))
		},
		"shExpMatch": func(vm *otto.Otto, a []string) otto.Value {
			return val(vm, shExpMatch(arg(a, 0), arg(a, 1)))
		},
		"__nowParts": func(vm *otto.Otto, a []string) otto.Value {
			t := opt.Now()
			parts := []any{int(t.Weekday()), t.Day(), int(t.Month()) - 1, t.Year(), t.Hour(), t.Minute(), t.Second()}
			arr, err := vm.Call("Array", nil, parts...)
			if err != nil {
				return otto.UndefinedValue()
			}
			return arr
		},
	}
}

// isInNet reports whether host (an address, or a name resolved through
// opt.Resolve) lies in the IPv4 network pattern/mask.
func isInNet(opt pac.Options, host, pattern, mask string) bool {
	ip := net.ParseIP(host)
	if ip == nil {
		s, ok := opt.Resolve(host)
		if !ok {
			return false
		}
		ip = net.ParseIP(s)
	}
	p, m := net.ParseIP(pattern).To4(), net.ParseIP(mask).To4()
	ip = ip.To4()
	if ip == nil || p == nil || m == nil {
		return false
	}
	return ip.Mask(net.IPMask(m)).Equal(p.Mask(net.IPMask(m)))
}

// shExpMatch matches shell glob patterns (* and ?) against the whole
// string in O(len(s)·len(pattern)) at worst: Go code is not covered by
// the script's time limit, so no exponential backtracking.
func shExpMatch(s, pattern string) bool {
	si, pi, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == s[si]):
			si++
			pi++
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	return strings.Trim(pattern[pi:], "*") == ""
}

const jsHelpers = `
function isPlainHostName(host) { return host.indexOf('.') < 0; }
function dnsDomainIs(host, domain) {
  return host.length >= domain.length && host.substring(host.length - domain.length) === domain;
}
function localHostOrDomainIs(host, hostdom) {
  return host === hostdom || (host.indexOf('.') < 0 && hostdom.lastIndexOf(host + '.', 0) === 0);
}
function dnsDomainLevels(host) { return host.split('.').length - 1; }
var __days = ['SUN','MON','TUE','WED','THU','FRI','SAT'];
var __months = ['JAN','FEB','MAR','APR','MAY','JUN','JUL','AUG','SEP','OCT','NOV','DEC'];
function __inRange(v, a, b) { return a <= b ? (v >= a && v <= b) : (v >= a || v <= b); }
function weekdayRange(a, b) {
  var d = __nowParts()[0], x = __days.indexOf(a), y = (b === undefined || b === 'GMT') ? x : __days.indexOf(b);
  return x >= 0 && y >= 0 && __inRange(d, x, y);
}
function dateRange() {
  var n = __nowParts(), args = Array.prototype.slice.call(arguments).filter(function (a) { return a !== 'GMT'; });
  if (args.length === 0) return false;
  var key = function (a) {
    if (typeof a === 'number') return a > 31 ? ['y', a] : ['d', a];
    return ['m', __months.indexOf(String(a).toUpperCase())];
  };
  var cur = { d: n[1], m: n[2], y: n[3] };
  if (args.length === 1) { var k = key(args[0]); return cur[k[0]] === k[1]; }
  var lo = key(args[0]), hi = key(args[args.length - 1]);
  if (lo[0] !== hi[0]) return false;
  return __inRange(cur[lo[0]], lo[1], hi[1]);
}
function timeRange() {
  var n = __nowParts(), args = Array.prototype.slice.call(arguments).filter(function (a) { return a !== 'GMT'; });
  var h = n[4];
  if (args.length === 1) return h === args[0];
  if (args.length >= 2) return __inRange(h, args[0], args[args.length / 2]);
  return false;
}
`
