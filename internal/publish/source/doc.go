// Package source turns a publisher's SOURCE — a directory or a tar stream —
// into a normalized, sorted tree of entries plus the content of its regular
// files.
//
// # API
//
//	src, err := source.Open(spec, source.Options{Xattrs: true, Workers: 4})
//	tree, err := src.Scan(func(e *source.Entry, r io.Reader) error {
//		// chunk, compress, hash r; it is valid only during this call
//	})
//
// Scan reads the whole source once. It calls the content function exactly
// once per file content: for every regular file, except the later members
// of a hard-link set (Entry.ContentOf names the path whose content they
// share). The reader yields exactly Entry.Size bytes or an error naming the
// path (reading it is optional). Scan returns the complete metadata tree (Tree), root first, in
// depth-first order with siblings sorted by name bytes: every directory
// precedes its descendants and the descendants of a directory are
// contiguous, so catalogs can be built in one pass.
//
// Order of content calls: a tar stream is read once, in archive order — no
// spool file is needed, because content is delivered as members are read and
// only the metadata (a few hundred bytes per entry) is buffered to sort the
// tree afterwards. A directory is first walked with lstat (never following
// symlinks, the root excepted), then file contents are read by
// Options.Workers goroutines that call the content function concurrently
// (in tree order when Workers <= 1). A directory source opens a file only
// when its reader is first read, so a consumer that recognizes an unchanged
// file from its metadata (incremental publish) costs no file I/O; a tar
// member's unread bytes are skipped. Dir.Open opens one file for callers
// that prefer to schedule reads themselves. A file that vanishes, changes
// size or cannot be read between the walk and the read fails the Scan with
// an error naming it (ErrChanged, or the wrapped os error).
//
// # Entries
//
// Entry carries what a catalog row needs: repository path ("/a/b", root
// ""), name, full st_mode (type, setuid/setgid/sticky, permissions), size,
// mtime (seconds + nanoseconds), uid, gid, raw symlink target ($(VAR)
// variant symlinks kept verbatim), rdev of devices, extended attributes, and
// the hard-link data below. Any byte except NUL and '/' may appear in names.
//
// # Hard links
//
// Hard links are detected by (device, inode) in directories and by tar
// Link members. CernVM-FS supports hard-link groups only inside one
// directory, so, like cvmfs_server with CVMFS_IGNORE_XDIR_HARDLINKS=true,
// the members of a set are split by parent directory: members sharing a
// directory form a group (Entry.LinkGroup > 0, Entry.LinkCount = members in
// that directory); a member alone in its directory becomes an independent
// file (LinkGroup 0, LinkCount 1). All members keep ContentOf, so the content
// is read once.
//
// # Extended attributes
//
// With Options.Xattrs (CVMFS_INCLUDE_XATTRS) every attribute llistxattr
// reports is recorded — user.*, security.* (e.g. security.capability),
// trusted.*, system.* — except trusted.overlay.* (overlayfs bookkeeping) and
// security.selinux (a label of the publishing host). The catalog blob stores
// lengths in single bytes, so names must be 1..255 bytes, values 0..255
// bytes, at most 255 attributes per entry; anything larger fails with
// ErrXattr naming the file. Tar members carry them as PAX records
// SCHILY.xattr.<name> (GNU tar --xattrs, bsdtar).
//
// # Tar streams
//
// Open accepts .tar, .tar.gz/.tgz (gzip is detected by its magic number, so
// the extension does not matter) and "-" for standard input. Member paths
// are normalized ("./a//b/" -> "/a/b"); absolute paths and ".." components
// are rejected with ErrUnsafePath. Directories missing from the archive are
// created with mode 0755, owner 0:0 and the mtime of the member that implies
// them; a repeated directory member updates its metadata, a repeated
// non-directory is an error. Hard links must point to an earlier regular
// file member. Sockets cannot be stored in tar.
package source
