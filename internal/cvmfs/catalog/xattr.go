package catalog

import (
	"errors"
	"fmt"
	"sort"
)

// ErrXattr reports an unusable extended-attribute blob or attribute.
var ErrXattr = errors.New("bad extended attributes")

// EncodeXattrs serializes attributes as the catalog xattr blob: version 1,
// count, then per key (sorted bytewise) len_key, len_value, key, value.
// It returns nil for an empty map (the column must then be NULL).
func EncodeXattrs(m map[string][]byte) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	if len(m) > 255 {
		return nil, fmt.Errorf("%w: %d attributes (at most 255)", ErrXattr, len(m))
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []byte{1, byte(len(keys))}
	for _, k := range keys {
		v := m[k]
		if len(k) == 0 || len(k) > 255 || len(v) > 255 {
			return nil, fmt.Errorf("%w: attribute %q: key must be 1-255 bytes and value at most 255 bytes", ErrXattr, k)
		}
		out = append(out, byte(len(k)), byte(len(v)))
		out = append(out, k...)
		out = append(out, v...)
	}
	return out, nil
}

// DecodeXattrs parses a catalog xattr blob.
func DecodeXattrs(b []byte) (map[string][]byte, error) {
	if len(b) < 2 || b[0] != 1 {
		return nil, fmt.Errorf("%w: blob header", ErrXattr)
	}
	n := int(b[1])
	out := make(map[string][]byte, n)
	p := 2
	for i := 0; i < n; i++ {
		if p+2 > len(b) {
			return nil, fmt.Errorf("%w: truncated", ErrXattr)
		}
		lk, lv := int(b[p]), int(b[p+1])
		p += 2
		if p+lk+lv > len(b) {
			return nil, fmt.Errorf("%w: truncated", ErrXattr)
		}
		out[string(b[p:p+lk])] = append([]byte(nil), b[p+lk:p+lk+lv]...)
		p += lk + lv
	}
	return out, nil
}
