// Package serve is ucvm's HTTP server for CernVM-FS repository storage
// directories: static files only, with the caching behaviour cvmfs_server
// configures in Apache (format spec §1):
//
//   - every storage directory is served at /cvmfs/<fqrn>/, fqrn taken from
//     the N line of its .cvmfspublished (else the directory name);
//   - files whose name starts with .cvmfs: Content-Type application/x-cvmfs,
//     Cache-Control max-age=61 and Expires now+61 s (Squid does not cache
//     objects expiring within 60 s, so 61 s keeps manifests cacheable but
//     fresh);
//   - .json files (including /cvmfs/info/v1/repositories.json and meta.json):
//     application/json, 61 s;
//   - everything else (data/ objects): application/octet-stream, 3 days;
//   - no Last-Modified, no ETag, If-Modified-Since ignored (content is
//     addressed by hash; revalidation only costs round trips), keep-alive on;
//   - GET and HEAD (and byte ranges) only; no directory listings; paths with
//     "..", empty or hidden-traversal components are refused, and files are
//     opened through os.Root so symlinks cannot leave the storage directory.
//
// Files are sent with http.ServeContent (sendfile on Linux) and a zero
// modification time, which is what suppresses Last-Modified and makes
// If-Modified-Since irrelevant. An access log line per request goes to the
// slog logger. Run adds listening, readiness reporting and graceful
// shutdown; the equivalent nginx configuration is in docs/serving.md.
package serve
