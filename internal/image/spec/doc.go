// Package spec is the declarative build specification of ucvm images: a YAML
// document (strictly decoded: unknown keys and bad values are errors naming
// the key and the fix) with an embedded default (Default, `ucvm image spec`).
package spec
