// Package cliutil holds what every ucvm command shares: documented exit codes,
// errors that carry them, and a terminal progress display for long work.
package cliutil
