//go:build cgo

package object

/*
#cgo LDFLAGS: -lz
#include <zlib.h>
#include <stdlib.h>
#include <string.h>

// ucvm_deflate compresses in[0:n] like CernVM-FS: level 6 (Z_DEFAULT_COMPRESSION),
// fed in 16 KiB pieces with Z_NO_FLUSH and a final Z_FINISH. It returns the
// output length or -1; *out must be freed by the caller.
static long ucvm_deflate(const unsigned char *in, long n, unsigned char **out) {
	z_stream s;
	memset(&s, 0, sizeof(s));
	if (deflateInit(&s, Z_DEFAULT_COMPRESSION) != Z_OK) return -1;
	unsigned long cap = deflateBound(&s, (uLong)n) + 64;
	unsigned char *buf = malloc(cap);
	if (!buf) { deflateEnd(&s); return -1; }
	s.next_out = buf;
	s.avail_out = cap;
	long off = 0;
	int rc;
	do {
		long piece = n - off > 16384 ? 16384 : n - off;
		int flush = (off + piece >= n) ? Z_FINISH : Z_NO_FLUSH;
		s.next_in = (unsigned char *)in + off;
		s.avail_in = (uInt)piece;
		off += piece;
		rc = deflate(&s, flush);
		if (rc == Z_STREAM_ERROR) { deflateEnd(&s); free(buf); return -1; }
	} while (rc != Z_STREAM_END);
	long len = (long)(cap - s.avail_out);
	deflateEnd(&s);
	*out = buf;
	return len;
}
*/
import "C"

import (
	"errors"
	"unsafe"
)

// ExactAvailable reports whether CompressExact works in this build.
const ExactAvailable = true

// CompressExact compresses data byte-identically to C zlib level 6 as the
// original CernVM-FS does (required for X and M objects).
func CompressExact(data []byte) ([]byte, error) {
	var out *C.uchar
	var in *C.uchar
	if len(data) > 0 {
		in = (*C.uchar)(C.CBytes(data))
		defer C.free(unsafe.Pointer(in))
	} else {
		in = (*C.uchar)(C.malloc(1))
		defer C.free(unsafe.Pointer(in))
	}
	n := C.ucvm_deflate(in, C.long(len(data)), &out)
	if n < 0 {
		return nil, errors.New("zlib deflate failed")
	}
	defer C.free(unsafe.Pointer(out))
	return C.GoBytes(unsafe.Pointer(out), C.int(n)), nil
}
