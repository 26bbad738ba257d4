package serve

import (
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
)

// smallObject is the size up to which a file is read into memory and
// written with its headers in one go instead of sendfile.
const smallObject = 64 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, smallObject); return &b }}

// dirRoots caches the opened data/xx directories of a repository: opening
// an object is then one openat below its directory instead of a walk of
// every path component (os.Root resolves component by component).
type dirRoots struct {
	mu   sync.Mutex
	dirs map[string]*os.Root
}

// open opens rel ("data/xx/rest…" through the cache, anything else through
// root).
func (d *dirRoots) open(root *os.Root, rel string) (*os.File, error) {
	dir, name, ok := dataDir(rel)
	if !ok {
		return root.Open(rel)
	}
	d.mu.Lock()
	sub := d.dirs[dir]
	d.mu.Unlock()
	if sub == nil {
		var err error
		if sub, err = root.OpenRoot(dir); err != nil {
			return nil, err
		}
		d.mu.Lock()
		if old := d.dirs[dir]; old != nil {
			sub.Close()
			sub = old
		} else {
			if d.dirs == nil {
				d.dirs = map[string]*os.Root{}
			}
			d.dirs[dir] = sub
		}
		d.mu.Unlock()
	}
	return sub.Open(name)
}

func (d *dirRoots) close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.dirs {
		r.Close()
	}
	d.dirs = nil
}

// dataDir splits "data/xx/name" into "data/xx" and "name".
func dataDir(rel string) (dir, name string, ok bool) {
	if len(rel) < 9 || !strings.HasPrefix(rel, "data/") || rel[7] != '/' || strings.Contains(rel[8:], "/") {
		return "", "", false
	}
	return rel[:7], rel[8:], true
}

// writeWhole answers a plain GET or HEAD (no Range, no conditionals) of a
// regular file of the given size: headers and, for small files, the body
// read into memory go out together; bigger files go through sendfile.
func writeWhole(w http.ResponseWriter, r *http.Request, f *os.File, size int64) {
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("Accept-Ranges", "bytes")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	if size > smallObject {
		w.WriteHeader(http.StatusOK)
		io.Copy(w, f)
		return
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	n, err := io.ReadFull(f, (*bp)[:size])
	if err != nil {
		http.Error(w, "read error", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
	w.Write((*bp)[:n])
}

// plainRequest reports whether r asks for a whole file unconditionally.
func plainRequest(r *http.Request) bool {
	h := r.Header
	return h.Get("Range") == "" && h.Get("If-Range") == "" && h.Get("If-Match") == "" &&
		h.Get("If-None-Match") == "" && h.Get("If-Modified-Since") == "" && h.Get("If-Unmodified-Since") == ""
}
