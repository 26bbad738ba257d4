package main

import (
	"fmt"
	"os"
	"runtime"
)

func size(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

func (b *bench) report(res []result, ucvmInitrd, classicInitrd, disk string) {
	base := res[len(res)-1]
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\n%d host CPUs, %d vCPU per guest, load average %s", runtime.NumCPU(), b.smp, load)
	fmt.Println("| boot | OS init s | OS up s | up / (c) | fetched MB | cache MB after boot |")
	fmt.Println("|---|---|---|---|---|---|")
	for _, r := range res {
		fetched, cache := "-", "-"
		if r.name != base.name {
			fetched = fmt.Sprintf("%.1f", float64(r.fetched)/1e6)
			cache = fmt.Sprintf("%.1f", float64(r.cacheKB)/1024)
		}
		fmt.Printf("| %s | %.1f | %.1f | %.2f | %s | %s |\n", r.name, r.osInit.Seconds(), r.up.Seconds(),
			r.up.Seconds()/base.up.Seconds(), fetched, cache)
	}
	cold := res[0]
	if cold.cacheKB > 0 {
		fmt.Printf("\nfetched / cache after the cold boot: %.2f (compressed bytes over the network / inflated bytes the boot needed)\n",
			float64(cold.fetched)/float64(cold.cacheKB*1024))
	}
	fmt.Printf("images: ucvm initrd %.1f MB (kernel %.1f MB); classic initrd %.1f MB + ext4 disk %.0f MB allocated of %.0f MB\n",
		float64(size(ucvmInitrd))/1e6, float64(size(b.kern.Vmlinuz))/1e6, float64(size(classicInitrd))/1e6,
		float64(allocated(disk))/1e6, float64(size(disk))/1e6)
}
