// Package image builds ucvm boot images from a spec (package spec): it
// fetches the kernel (kernel), builds the bootloader (bootbin) and one
// initrd per branch (initrd), writes every requested format (formats) with a
// .sha256 beside it, and reports sizes, build times and the size budget.
// A failed build leaves nothing in the output directory: everything is
// written into a temporary directory inside it and renamed at the end.
// Signing is separate (package sign, `ucvm image sign`).
package image
