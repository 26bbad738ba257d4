// Package sign appends and checks the µCernVM image signature block
// (spec §6): the last 64 KiB of a signed image are a 32 KiB metadata block
// (JSON: ucernvm-version, os-repo, snapshot; NUL padded) and a 32 KiB
// signature block (JSON: base64 PEM certificate, base64 RSA-SHA256
// signature over everything before the signature block, howto-verify),
// so that hypervisors ignore it and the original openssl procedure works.
package sign
