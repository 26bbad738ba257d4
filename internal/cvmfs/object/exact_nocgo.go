//go:build !cgo

package object

import "errors"

// ExactAvailable reports whether CompressExact works in this build.
const ExactAvailable = false

// CompressExact needs cgo and the system zlib; this build has neither.
func CompressExact(data []byte) ([]byte, error) {
	return nil, errors.New("C-zlib-exact compression needs a cgo build with zlib1g-dev (make deps)")
}
