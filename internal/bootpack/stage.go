package bootpack

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/overlay"
)

// stage writes the manifest's tree under dir with the contents from src
// and the manifest's owners, modes and times, which mkfs.erofs copies.
// Owners other than the caller's need root.
func stage(ctx context.Context, src Source, root string, m Manifest, dir string, progress func(done, total int)) error {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	files, _, _, _, _ := m.Counts()
	done := 0
	for _, e := range m.Entries[1:] {
		p := filepath.Join(dir, filepath.FromSlash(e.Path))
		var err error
		switch e.Type {
		case TypeDir:
			err = os.Mkdir(p, 0o700)
			if err == nil && e.Opaque {
				err = overlay.MarkOpaque(p)
			}
		case TypeWhiteout:
			err = overlay.MakeWhiteout(p)
		case TypeSymlink:
			err = os.Symlink(e.Target, p)
		case TypeFile:
			err = stageFile(ctx, src, path.Join(root, e.Path), p, e.Size)
			done++
			if progress != nil {
				progress(done, files)
			}
		}
		if err != nil {
			return fmt.Errorf("staging %s: %w", e.Path, err)
		}
	}
	for i := len(m.Entries) - 1; i >= 0; i-- { // children before parents: writes change a directory's time
		e := m.Entries[i]
		if err := setAttrs(filepath.Join(dir, filepath.FromSlash(e.Path)), e); err != nil {
			return fmt.Errorf("staging %s: %w", e.Path, err)
		}
	}
	return nil
}

func stageFile(ctx context.Context, src Source, repoPath, p string, size int64) error {
	n, err := src.Lookup(ctx, repoPath)
	if err != nil {
		return err
	}
	in, err := src.Open(ctx, n)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	c, err := io.Copy(out, io.NewSectionReader(in, 0, size))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && c != size {
		err = fmt.Errorf("read %d bytes of %d", c, size)
	}
	return err
}

// setAttrs gives a staged object the entry's owner, mode and time.
func setAttrs(p string, e Entry) error {
	if os.Geteuid() == 0 {
		if err := os.Lchown(p, int(e.UID), int(e.GID)); err != nil {
			return err
		}
	} else if e.UID != uint32(os.Geteuid()) || e.GID != uint32(os.Getegid()) {
		return fmt.Errorf("owned by %d:%d in the repository: giving the image that owner needs root (run ucvm bootpack as root)", e.UID, e.GID)
	}
	flags := 0
	if e.Type == TypeSymlink {
		flags = unix.AT_SYMLINK_NOFOLLOW
	} else if err := unix.Chmod(p, e.Mode); err != nil { // after chown: it clears set-id bits
		return err
	}
	t := unix.NsecToTimespec(e.Mtime*1e9 + int64(e.MtimeNs))
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, []unix.Timespec{t, t}, flags)
}
