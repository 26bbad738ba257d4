package cliutil

import (
	"errors"
	"fmt"
)

// Documented exit codes of the ucvm command (see docs/operations.md).
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
	ExitUpdate  = 100 // ucvm update --check: an update is available
)

// ExitError makes a command exit with Code; Err may be nil for a silent exit.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// ErrUsage marks errors caused by wrong command-line use.
var ErrUsage = errors.New("usage")

// Usagef returns a usage error (exit code 2).
func Usagef(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// ExitCode maps an error to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	return ExitFailure
}
