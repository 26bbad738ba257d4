// Package mkext4 formats ext4 file systems quickly (only metadata is
// written) and grows mounted ones online.
package mkext4
