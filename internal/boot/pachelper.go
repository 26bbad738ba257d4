package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/xi2/xz"

	"github.com/ucvm/ucvm/internal/clientconfig/pac"
)

// PACHelperXZ is the initrd's PAC evaluator (cmd/ucvm-pac), xz-compressed.
// /init does not link a JavaScript engine: otto was 3.4 MB of a 13 MB
// /init, unpacked from the initrd by every boot, and a PAC file is only
// read where CVMFS_HTTP_PROXY is "auto" (docs/benchmarks.md, stop 17). The
// helper is unpacked next to it on first use.
const PACHelperXZ = "/lib/ucvm/ucvm-pac.xz"

// maxPACHelper bounds the unpacked helper.
const maxPACHelper = 64 << 20

// InstallPACHelper makes package pac evaluate PAC files with the helper at
// xzPath, unpacked (once per process) on first use.
func InstallPACHelper(xzPath string) {
	var once sync.Once
	var bin string
	var err error
	pac.SetEvaluator(pac.ExecEvaluator(func() (string, error) {
		once.Do(func() { bin, err = unpackPACHelper(xzPath) })
		return bin, err
	}))
}

// unpackPACHelper writes the helper of xzPath, decompressed, next to it
// (without the .xz) and returns its path; one unpacked before is reused.
func unpackPACHelper(xzPath string) (string, error) {
	bin := xzPath[:len(xzPath)-len(filepath.Ext(xzPath))]
	if st, err := os.Stat(bin); err == nil && st.Mode().IsRegular() && st.Mode()&0o100 != 0 {
		return bin, nil
	}
	f, err := os.Open(xzPath)
	if err != nil {
		return "", fmt.Errorf("%w (this initrd has no PAC helper; name the proxies in CVMFS_HTTP_PROXY)", err)
	}
	defer f.Close()
	zr, err := xz.NewReader(f, 0)
	if err != nil {
		return "", fmt.Errorf("%s: %w", xzPath, err)
	}
	if err := writeExecutable(bin, zr, maxPACHelper); err != nil {
		return "", fmt.Errorf("unpacking %s: %w", xzPath, err)
	}
	return bin, nil
}
