package source

import (
	"fmt"
	"os"
)

// Open returns the Source for a SOURCE argument: "-" (tar on Options.Stdin),
// a directory, or a tar file (.tar, .tar.gz, .tgz; gzip is sniffed).
func Open(spec string, opts Options) (Source, error) {
	if spec == "-" {
		in := opts.Stdin
		if in == nil {
			in = os.Stdin
		}
		return NewTar(in, "standard input", opts), nil
	}
	st, err := os.Stat(spec)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotSource, err)
	}
	switch {
	case st.IsDir():
		return NewDir(spec, opts)
	case st.Mode().IsRegular():
		f, err := os.Open(spec)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotSource, err)
		}
		t := NewTar(f, spec, opts)
		t.closer = f
		return t, nil
	}
	return nil, fmt.Errorf("%w: %s is neither a directory nor a tar file (.tar, .tar.gz, .tgz, - for stdin)", ErrNotSource, spec)
}
