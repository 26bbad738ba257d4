// Package bootbin builds the bootloader /init: a static, stripped,
// reproducible Go binary (CGO_ENABLED=0, -trimpath, empty build id) of
// ./cmd/ucvm-init from this repository's module.
package bootbin

import "errors"

// ErrBuild marks a bootloader that could not be built.
var ErrBuild = errors.New("bootloader build")
