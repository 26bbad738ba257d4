// Package testutil holds helpers shared by tests: prerequisite checks that
// skip on a developer machine but fail in CI, and paths of shared fixtures.
package testutil
