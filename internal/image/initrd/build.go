package initrd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
	"github.com/ulikunitz/xz"

	"github.com/ucvm/ucvm/internal/image/kernel"
	"github.com/ucvm/ucvm/internal/image/spec"
)

// Options are the inputs of one initrd.
type Options struct {
	Init          string         // static /init binary
	StrongVersion string         // written to /version
	Kernel        *kernel.Kernel // modules come from Kernel.ModulesDir
	Modules       []string       // wanted modules (closure is added)
	Branch        spec.Branch    // → /etc/ucvm/branch.json
	KeyFiles      []string       // PEM public keys of Branch (resolved paths)
	CACerts       string         // CA bundle ("" = none)
	Busybox       string         // busybox-static binary ("" = none)
	PACHelper     string         // cmd/ucvm-pac binary, stored xz-compressed ("" = none: no PAC files)
	E2fsprogs     bool           // add mke2fs, e2fsck, resize2fs with their libraries
	Compression   string         // "zstd" or "xz"
	Epoch         int64          // mtime of every entry (SOURCE_DATE_EPOCH)
}

// Stats is the composition of a built initrd.
type Stats struct {
	InitBytes, ModuleBytes, BusyboxBytes, OtherBytes int64
	Modules                                          []string // load order
	RawBytes, CompressedBytes                        int64
	Compressor                                       string // encoder that ran, e.g. "zstd -19"
}

// ErrInput marks missing or bad build inputs.
var ErrInput = errors.New("initrd input")

// OrderFile is the load-order file inside /lib/modules/<kver>/.
const OrderFile = "modules.order.ucvm"

// Compose assembles the archive for o.
func Compose(o Options) (*Archive, []string, error) {
	a := NewArchive()
	if err := a.addFile("init", o.Init, 0o755, KindInit, "the bootloader (/init)"); err != nil {
		return nil, nil, err
	}
	a.File("version", []byte(o.StrongVersion+"\n"), 0o644, KindOther)
	order, err := a.addModules(o.Kernel, o.Modules)
	if err != nil {
		return nil, nil, err
	}
	br := o.Branch
	br.Version = o.StrongVersion
	bj, _ := json.MarshalIndent(br, "", "  ")
	a.File("etc/ucvm/branch.json", append(bj, '\n'), 0o644, KindOther)
	if err := a.addKeys(br.FQRN, o.KeyFiles); err != nil {
		return nil, nil, err
	}
	if o.CACerts != "" {
		if err := a.addFile("etc/ssl/certs/ca-certificates.crt", o.CACerts, 0o644, KindOther, "CA certificates"); err != nil {
			return nil, nil, err
		}
	}
	if o.Busybox != "" {
		if err := a.addBusybox(o.Busybox, spec.FastUnpack(o.Compression)); err != nil {
			return nil, nil, err
		}
	}
	if o.PACHelper != "" {
		if err := a.addPACHelper(o.PACHelper); err != nil {
			return nil, nil, err
		}
	}
	if o.E2fsprogs {
		if err := a.addE2fsprogs(); err != nil {
			return nil, nil, err
		}
	}
	return a, order, nil
}

func (a *Archive) addFile(name, src string, perm uint64, kind Kind, what string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrInput, what, err)
	}
	a.File(name, data, perm, kind)
	return nil
}

// BusyboxLZ4Path is busybox in a FastUnpack initrd (boot.BusyboxLZ4).
const BusyboxLZ4Path = "bin/busybox.lz4"

func (a *Archive) addBusybox(src string, compressed bool) error {
	if !compressed {
		return a.addFile("bin/busybox", src, 0o755, KindBusybox, "busybox (apt-get install busybox-static)")
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("%w: busybox (apt-get install busybox-static): %w", ErrInput, err)
	}
	var z bytes.Buffer
	w := lz4.NewWriter(&z)
	if err := w.Apply(lz4.CompressionLevelOption(lz4.Level9)); err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	a.File(BusyboxLZ4Path, z.Bytes(), 0o644, KindBusybox)
	return nil
}

// PACHelperPath is where the initrd keeps the PAC evaluator, xz-compressed
// (boot.PACHelperXZ): the bootloader unpacks it only where a PAC file is
// read, so the other boots do not unpack its 5 MB.
const PACHelperPath = "lib/ucvm/ucvm-pac.xz"

func (a *Archive) addPACHelper(src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return fmt.Errorf("%w: PAC helper (cmd/ucvm-pac): %w", ErrInput, err)
	}
	var z bytes.Buffer
	if _, err := Compress(&z, data, "xz-x86"); err != nil {
		return fmt.Errorf("PAC helper: %w", err)
	}
	a.File(PACHelperPath, z.Bytes(), 0o644, KindOther)
	return nil
}

func (a *Archive) addKeys(fqrn string, files []string) error {
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("%w: public key of %s: %w", ErrInput, fqrn, err)
		}
		if !bytes.Contains(b, []byte("-----BEGIN PUBLIC KEY-----")) {
			return fmt.Errorf("%w: public key %s is not a PEM public key", ErrInput, f)
		}
		all = append(all, b...)
	}
	if len(files) == 1 {
		a.File("etc/cvmfs/keys/"+fqrn+".pub", all, 0o644, KindOther)
		return nil
	}
	for i, f := range files {
		b, _ := os.ReadFile(f)
		a.File(fmt.Sprintf("etc/cvmfs/keys/%s.%d.pub", fqrn, i), b, 0o644, KindOther)
	}
	return nil
}

func (a *Archive) addModules(k *kernel.Kernel, wanted []string) ([]string, error) {
	db, err := kernel.LoadModuleDB(k.ModulesDir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	order, err := db.Closure(wanted)
	if err != nil {
		return nil, err
	}
	base := path.Join("lib/modules", k.Version)
	var plain []string
	for _, rel := range order {
		data, err := readModule(filepath.Join(k.ModulesDir, rel))
		if err != nil {
			return nil, fmt.Errorf("%w: module %s: %w", ErrInput, rel, err)
		}
		rel = strings.TrimSuffix(strings.TrimSuffix(rel, ".xz"), ".zst")
		a.File(path.Join(base, rel), data, 0o644, KindModule)
		plain = append(plain, rel)
	}
	a.File(path.Join(base, OrderFile), []byte(strings.Join(plain, "\n")+"\n"), 0o644, KindOther)
	aliases, err := kernel.LoadAliases(k.ModulesDir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInput, err)
	}
	a.File(path.Join(base, kernel.DevicesFile), db.DevicesTable(order, aliases), 0o644, KindOther)
	return plain, nil
}

// readModule returns a module's plain .ko bytes: Debian's 6.1 kernel cannot
// load compressed modules through finit_module (lab-notes.md).
func readModule(p string) ([]byte, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.HasSuffix(p, ".ko.xz"):
		r, err := xz.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(r)
	case strings.HasSuffix(p, ".ko.zst"):
		d, err := zstd.NewReader(nil)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		return d.DecodeAll(data, nil)
	}
	return data, nil
}

// Build composes, serialises and compresses the initrd into w.
func Build(o Options, w io.Writer) (Stats, error) {
	a, order, err := Compose(o)
	if err != nil {
		return Stats{}, err
	}
	var raw bytes.Buffer
	if err := a.WriteCPIO(&raw, o.Epoch); err != nil {
		return Stats{}, err
	}
	sz := a.Sizes()
	st := Stats{InitBytes: sz[KindInit], ModuleBytes: sz[KindModule], BusyboxBytes: sz[KindBusybox],
		OtherBytes: sz[KindOther], Modules: order, RawBytes: int64(raw.Len())}
	cw := &countWriter{w: w}
	comp := o.Compression
	if comp == "xz" && o.Kernel != nil && o.Kernel.ConfigEnabled("CONFIG_XZ_DEC_X86") {
		comp = "xz-x86"
	}
	if st.Compressor, err = Compress(cw, raw.Bytes(), comp); err != nil {
		return st, err
	}
	st.CompressedBytes = cw.n
	return st, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
