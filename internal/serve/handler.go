package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Cache lifetimes of the cvmfs_server Apache configuration.
const (
	ShortMaxAge = 61 * time.Second   // .cvmfs* and .json
	LongMaxAge  = 3 * 24 * time.Hour // data objects and everything else
	infoPrefix  = "/cvmfs/info/v1/"
	repoPrefix  = "/cvmfs/"
)

// Handler serves repositories; it implements http.Handler.
type Handler struct {
	repos map[string]*servedRepo
	info  []byte // repositories.json
	meta  []byte // meta.json
	log   *slog.Logger
	now   func() time.Time
}

type servedRepo struct {
	Repo
	root *os.Root
	dirs dirRoots
}

// NewHandler opens the storage directories; Close releases them.
func NewHandler(repos []Repo, log *slog.Logger) (*Handler, error) {
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	h := &Handler{repos: map[string]*servedRepo{}, log: log, now: time.Now}
	type item struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	}
	list := []item{}
	for _, r := range repos {
		if _, dup := h.repos[r.FQRN]; dup {
			h.Close()
			return nil, fmt.Errorf("%w: repository %s given twice", ErrStorage, r.FQRN)
		}
		root, err := os.OpenRoot(r.Dir)
		if err != nil {
			h.Close()
			return nil, fmt.Errorf("%w: %w", ErrStorage, err)
		}
		h.repos[r.FQRN] = &servedRepo{Repo: r, root: root}
		list = append(list, item{r.FQRN, "/cvmfs/" + r.FQRN})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	h.info, _ = json.Marshal(map[string]any{"schema": 1, "repositories": list, "replicas": []item{}})
	h.meta, _ = json.Marshal(map[string]any{"schema": 1, "administrator": "", "email": "", "organisation": "", "custom": map[string]any{}})
	return h, nil
}

// Close releases the opened storage directories.
func (h *Handler) Close() error {
	for _, r := range h.repos {
		r.dirs.close()
		r.root.Close()
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	h.serve(rec, r)
	h.log.Info("access", "remote", r.RemoteAddr, "method", r.Method, "path", r.URL.Path,
		"status", rec.status, "bytes", rec.bytes, "ms", time.Since(start).Milliseconds())
}

func (h *Handler) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	switch p {
	case infoPrefix + "repositories.json":
		h.serveBytes(w, r, h.info)
		return
	case infoPrefix + "meta.json":
		h.serveBytes(w, r, h.meta)
		return
	}
	rest, ok := strings.CutPrefix(p, repoPrefix)
	if !ok {
		http.NotFound(w, r)
		return
	}
	fqrn, rel, _ := strings.Cut(rest, "/")
	repo := h.repos[fqrn]
	if repo == nil || !safeRel(rel) {
		http.NotFound(w, r)
		return
	}
	h.serveFile(w, r, repo, rel)
}

// safeRel accepts "a/b/c" with no empty, "." or ".." components.
func safeRel(rel string) bool {
	if rel == "" || strings.ContainsAny(rel, "\x00\\") {
		return false
	}
	for _, c := range strings.Split(rel, "/") {
		if c == "" || c == "." || c == ".." {
			return false
		}
	}
	return true
}

func (h *Handler) serveFile(w http.ResponseWriter, r *http.Request, repo *servedRepo, rel string) {
	f, err := repo.dirs.open(repo.root, rel)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	h.setCaching(w, path.Base(rel))
	if plainRequest(r) {
		writeWhole(w, r, f, st.Size())
		return
	}
	// Zero modtime: no Last-Modified, If-Modified-Since ignored; no ETag set.
	http.ServeContent(w, r, "", time.Time{}, f)
}

func (h *Handler) serveBytes(w http.ResponseWriter, r *http.Request, b []byte) {
	h.setCaching(w, "x.json")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
}

// setCaching sets Content-Type, Cache-Control and Expires for a file name.
func (h *Handler) setCaching(w http.ResponseWriter, name string) {
	ctype, age := "application/octet-stream", LongMaxAge
	switch {
	case strings.HasPrefix(name, ".cvmfs"):
		ctype, age = "application/x-cvmfs", ShortMaxAge
	case strings.HasSuffix(name, ".json"):
		ctype, age = "application/json", ShortMaxAge
	}
	hd := w.Header()
	hd.Set("Content-Type", ctype)
	hd.Set("Cache-Control", "max-age="+strconv.Itoa(int(age.Seconds())))
	hd.Set("Expires", h.now().Add(age).UTC().Format(http.TimeFormat))
}

// recorder captures status and size for the access log while keeping the
// ReaderFrom fast path (sendfile) of the underlying writer.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	rf, ok := r.ResponseWriter.(io.ReaderFrom)
	if !ok {
		return io.Copy(struct{ io.Writer }{r}, src)
	}
	n, err := rf.ReadFrom(src)
	r.bytes += n
	return n, err
}
