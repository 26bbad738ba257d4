package bootvm

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/ucvm/ucvm/internal/qemu"
)

var stepRE = regexp.MustCompile(`step (\S+)\s+([0-9.]+)s`)

// BenchmarkBoot measures, per iteration, a baseline boot that stops right
// after the banner (kernel + initrd only), a first boot (empty 1 GiB disk:
// partition, format, contextualize, fetch) and a second boot (pinned,
// cached), plus a first boot with Debian's mke2fs in the initrd. Times are from qemu exec to the OS init's first line. Reported:
// seconds, ratios to the baseline, bytes fetched from the repository
// server, cache size after boot, and the bootloader's own step times.
func BenchmarkBoot(b *testing.B) {
	requireVM(b)
	var base, first, second, firstE2, fetched, cache float64
	steps := map[string]float64{}
	for i := 0; i < b.N; i++ {
		r := newOSRepo(b)
		vm := bootVM(b, r, vmOpts{append: "ucvm.poweroff=banner"})
		l := vm.MustWaitFor(b, `ucvm bootloader`, 120e9)
		base += l.At.Seconds()
		waitOff(b, vm)

		drives := []qemu.Drive{{File: sparseDisk(b, 1<<30)}}
		vm = bootVM(b, r, vmOpts{disks: drives})
		l = vm.MustWaitFor(b, `UCVM-OS-INIT`, 120e9)
		first += l.At.Seconds()
		waitOff(b, vm)
		fetched += float64(r.bytes.get())
		for _, line := range vm.Lines() {
			if m := stepRE.FindStringSubmatch(line.Text); m != nil {
				v, _ := strconv.ParseFloat(m[2], 64)
				steps[m[1]] += v
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(line.Text), "cache_bytes "); ok {
				n, _ := strconv.ParseFloat(v, 64)
				cache += n
			}
		}

		vm = bootVM(b, r, vmOpts{disks: drives})
		l = vm.MustWaitFor(b, `UCVM-OS-INIT`, 120e9)
		second += l.At.Seconds()
		waitOff(b, vm)

		// The same first boot with Debian's mke2fs/e2fsck in the initrd.
		vm = bootVM(b, r, vmOpts{disks: []qemu.Drive{{File: sparseDisk(b, 1<<30)}}, e2fs: true})
		l = vm.MustWaitFor(b, `UCVM-OS-INIT`, 120e9)
		firstE2 += l.At.Seconds()
		waitOff(b, vm)
	}
	n := float64(b.N)
	b.ReportMetric(base/n, "s/banner-boot")
	b.ReportMetric(first/n, "s/first-boot")
	b.ReportMetric(second/n, "s/second-boot")
	b.ReportMetric(firstE2/n, "s/first-boot-mke2fs")
	b.ReportMetric(firstE2/base, "first-mke2fs/banner")
	b.ReportMetric(first/base, "first/banner")
	b.ReportMetric(second/base, "second/banner")
	b.ReportMetric(fetched/n, "bytes-fetched/first-boot")
	b.ReportMetric(cache/n, "cache-bytes/after-first-initrd")
	for k, v := range steps {
		b.ReportMetric(v/n, "s/step-"+k)
	}
}
