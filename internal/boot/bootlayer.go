package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ucvm/ucvm/internal/bootpack"
	"github.com/ucvm/ucvm/internal/fusefs"
	"github.com/ucvm/ucvm/internal/loopdev"
)

// DirBootLayer holds the boot layers on the scratch disk (relative to
// /mnt/.rw): <root catalog hash>/ with the files a boot of that snapshot
// read, written by the client (fusefs/bootlayer.go), and <hash>.json.
const DirBootLayer = "bootlayer"

// bootLayerSocket names the file in the shutdown directory that holds the
// client's control socket (a path in the client's mount namespace).
const bootLayerSocket = "ucvm-client.sock"

// BootLayerLower returns the layer of snapshot rootHash to stack above
// the repository's OS tree ("" if there is none yet) and removes the
// layers of other snapshots and unfinished ones.
func BootLayerLower(dir, rootHash, osPath string) string {
	ents, err := os.ReadDir(dir)
	if err != nil || rootHash == "" {
		return ""
	}
	for _, e := range ents {
		if n := e.Name(); n != rootHash && n != rootHash+".json" {
			_ = os.RemoveAll(filepath.Join(dir, n))
		}
	}
	lower := filepath.Join(dir, rootHash, osPath)
	if st, err := os.Stat(lower); err != nil || !st.IsDir() || strings.ContainsAny(lower, ":,\\") {
		return ""
	}
	return lower
}

// clientSocket is the control socket of the OS repository's client.
func (b *Boot) clientSocket() string {
	return fusefs.SocketPath(filepath.Join(RootRW, DirCache, b.repo.FQRN), b.repo.FQRN)
}

// useBootLayer reports whether the boot layer is enabled (ucvm.bootlayer=off
// disables it: no layer is used or recorded).
func (b *Boot) useBootLayer() bool { return b.Cmd.Get("ucvm.bootlayer") != "off" }

// stepBootPack: on the first boot of a snapshot (no boot layer yet), if
// the OS tree carries a boot pack (bootpack.FileName), the client writes
// its image into the snapshot's boot layer before the overlay root is
// mounted (stepRoot mounts it), so a cold boot reads its boot files from
// the scratch disk as a warm one does. ucvm.bootpack=off skips it. A
// failure costs only the speed-up.
func (b *Boot) stepBootPack() {
	if b.repo.BootLayer == "" || b.mounted == nil || b.Cmd.Get("ucvm.bootpack") == "off" {
		return
	}
	if BootLayerLower(b.repo.BootLayer, b.mounted.RootHash, b.repo.OSPath) != "" {
		return // (which also removed the layers of other snapshots)
	}
	rel := "/" + strings.Trim(filepath.Join(b.repo.OSPath, bootpack.FileName), "/")
	if !exists(filepath.Join(RootRO, rel)) {
		return
	}
	b.Con.Start("Loading the boot pack...")
	start := time.Now()
	sock := b.clientSocket()
	out, err := fusefs.Talk(sock, "bootpack "+rel, 5*time.Minute)
	b.logf("cvmfs", "boot pack %s: %.2f s, error %v\n%s", rel, time.Since(start).Seconds(), err, out)
	if err != nil {
		b.Con.Fail()
		b.Con.Warn("boot pack: %v (the OS files come through the repository mount)", err)
		return
	}
	b.Con.Result("%s", packResult(out))
}

// packResult turns the client's answer (dir, files, bytes, image_bytes,
// ...) into "N files, M symlinks, X MB in a Y MB image (bytes B)".
func packResult(out string) string {
	kv := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, " "); ok {
			kv[k] = v
		}
	}
	if kv["exists"] != "" {
		return "exists"
	}
	mb, _ := strconv.ParseFloat(kv["bytes"], 64)
	img, _ := strconv.ParseFloat(kv["image_bytes"], 64)
	return fmt.Sprintf("%s files, %s symlinks, %.1f MB in a %.1f MB image (bytes %s)", kv["files"], kv["symlinks"], mb/1e6, img/1e6, kv["bytes"])
}

// writeBootLayer asks the client (through its control socket, reached by
// /proc/<pid>/root since the OS's mounts are gone at this point) to write
// the boot layer of this boot if it has none yet; bounded to two minutes.
func writeBootLayer(pid int, sockFile string, say func(string, ...any)) {
	b, err := os.ReadFile(sockFile)
	if err != nil || pid <= 1 {
		return
	}
	sock := filepath.Join("/proc", strconv.Itoa(pid), "root", strings.TrimSpace(string(b)))
	start := time.Now()
	out, err := fusefs.Talk(sock, "bootlayer", 2*time.Minute)
	switch {
	case err != nil:
		say("boot layer: %v", err)
	case strings.HasPrefix(out, "exists"):
	default:
		say("boot layer written in %.1f s: %s", time.Since(start).Seconds(), strings.Join(strings.Fields(out), " "))
	}
}

// firstFile returns the first of paths that exists ("" if none does).
func firstFile(paths ...string) string {
	for _, p := range paths {
		if exists(p) {
			return p
		}
	}
	return ""
}

// MountScratchImage mounts the first partition of a VM's scratch disk
// image (a raw file) read-only at mnt, for reading what a boot left on it
// (the boot layer a boot pack is made from, logs) from the host. It
// returns the unmount function and the boot layer's OS directory of the
// snapshot there, if there is one layer ("" otherwise).
func MountScratchImage(image, mnt, osPath string) (func() error, string, error) {
	start, _, err := PartitionExtent(image, 1)
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		return nil, "", err
	}
	if err := loopdev.Mount(image, mnt, "ext4", loopdev.Options{Offset: start}); err != nil {
		return nil, "", err
	}
	unmount := func() error { return unix.Unmount(mnt, 0) }
	layers, _ := filepath.Glob(filepath.Join(mnt, DirBootLayer, "[0-9a-f]*", osPath))
	if len(layers) != 1 {
		return unmount, "", nil
	}
	return unmount, layers[0], nil
}
