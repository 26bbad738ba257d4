package fetch

import (
	"errors"
	"fmt"
)

// Sentinel errors callers branch on (test with errors.Is).
var (
	// ErrNotFound: every host answered 404 for the object.
	ErrNotFound = errors.New("object not found on any host")
	// ErrBadData: data failed verification on every host (also returned by
	// Verifiers to signal a hash or format mismatch).
	ErrBadData = errors.New("bad data")
	// ErrOffline: no host could be reached (connection errors, timeouts).
	ErrOffline = errors.New("no host reachable (offline)")
	// ErrHTTP: hosts were reached but answered with HTTP errors.
	ErrHTTP = errors.New("server error")
	// ErrStalled is the cause of an attempt aborted by the low-speed
	// watchdog (wrapped into ErrOffline if no host does better).
	ErrStalled = errors.New("transfer stalled (below low-speed limit for the timeout)")
	// ErrBadConfig: the Config cannot be used.
	ErrBadConfig = errors.New("bad download configuration")
)

// kind classifies a failed attempt (spec §10.4).
type kind int

const (
	kindOK      kind = iota
	kindHost         // switch to the next host
	kindProxy        // switch to the next proxy
	kindBadData      // retry with no-cache, then a host error
	kindAbort        // stop now (context cancelled, Verifier's own error)
)

// outcome of one attempt.
type outcome struct {
	kind     kind
	transfer bool // connection/timeout/short transfer: same-path retry allowed
	notFound bool // HTTP 404 / ENOENT
	reached  bool // the host answered (an HTTP status or a local file system)
	err      error
}

// tally accumulates outcomes of one request for its final error.
type tally struct {
	notFound, badData, httpErr, netErr int
	last                               error
}

func (t *tally) add(o outcome) {
	if o.err != nil {
		t.last = o.err
	}
	switch {
	case o.kind == kindBadData:
		t.badData++
	case o.notFound:
		t.notFound++
	case o.reached:
		t.httpErr++
	default:
		t.netErr++
	}
}

// final returns the request's error wrapping the right sentinel.
func (t *tally) final(relPath string) error {
	var s error
	switch {
	case t.badData > 0:
		s = ErrBadData
	case t.notFound > 0 && t.httpErr == 0 && t.netErr == 0:
		s = ErrNotFound
	case t.httpErr > 0 || t.notFound > 0:
		s = ErrHTTP
	default:
		s = ErrOffline
	}
	if t.last == nil {
		return fmt.Errorf("fetch %s: %w", relPath, s)
	}
	return fmt.Errorf("fetch %s: %w (last error: %v)", relPath, s, t.last)
}
