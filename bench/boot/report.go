package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

func size(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

func (b *bench) report(rounds [][]result, ucvmInitrd, classicInitrd, disk string) {
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Printf("\n%d host CPUs, %d vCPU per guest, %d round(s), load average %s", runtime.NumCPU(), b.smp, len(rounds), load)
	if b.icount >= 0 {
		fmt.Printf("QEMU -icount shift=%d: guest uptimes count instructions (%d ns each) and real time only while the guest idles\n", b.icount, 1<<b.icount)
	}
	fmt.Println("| round | boot | OS init s | OS up s | login prompt s | up / (c) of the round | guest s at OS init | guest uptime at up s | guest / (c) | fetched MB | cache MB after boot |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for i, res := range rounds {
		base := classicOf(res)
		for _, r := range res {
			fetched, cache := "-", "-"
			if strings.HasPrefix(r.name, "(a)") || strings.HasPrefix(r.name, "(b)") {
				fetched = fmt.Sprintf("%.1f", float64(r.fetched)/1e6)
				cache = fmt.Sprintf("%.1f", float64(r.cacheKB)/1024)
			}
			fmt.Printf("| %d | %s | %.1f | %.1f | %s | %.2f | %s | %.2f | %s | %s | %s |\n", i+1, r.name, r.osInit.Seconds(), r.up.Seconds(),
				seconds(r.login), r.up.Seconds()/base.up.Seconds(), seconds(r.guestInit), r.guestUp.Seconds(), guestRatio(r, base), fetched, cache)
		}
	}
	if len(rounds) > 1 {
		for k, r := range rounds[0] {
			if r.name == classicOf(rounds[0]).name {
				continue
			}
			var ratios, ups, guest []float64
			for _, res := range rounds {
				ratios = append(ratios, res[k].up.Seconds()/classicOf(res).up.Seconds())
				ups = append(ups, res[k].up.Seconds())
				if c := classicOf(res); c.guestUp > 0 {
					guest = append(guest, res[k].guestUp.Seconds()/c.guestUp.Seconds())
				}
			}
			g := "-"
			if len(guest) > 0 {
				g = fmt.Sprintf("**%.2f** (range %.2f–%.2f)", median(guest), slices.Min(guest), slices.Max(guest))
			}
			fmt.Printf("| median | %s | | %.1f | | **%.2f** (range %.2f–%.2f) | | | %s | | |\n", r.name, median(ups), median(ratios),
				slices.Min(ratios), slices.Max(ratios), g)
		}
	}
	b.reportAgainst(rounds, classicNetName)
	res := rounds[len(rounds)-1]
	cold := res[0]
	if cold.layerBytes > 0 {
		fmt.Printf("\nfetched / read by the cold boot: %.2f (%.1f MB compressed over the network / %.1f MB of files the boot read, its boot layer)\n",
			float64(cold.fetched)/float64(cold.layerBytes), float64(cold.fetched)/1e6, float64(cold.layerBytes)/1e6)
	} else if cold.cacheKB > 0 {
		fmt.Printf("\nfetched / cache after the cold boot: %.2f (compressed bytes over the network / inflated bytes the boot needed)\n",
			float64(cold.fetched)/float64(cold.cacheKB*1024))
	}
	fmt.Printf("images: ucvm initrd %.1f MB (kernel %.1f MB); classic initrd %.1f MB + ext4 disk %.0f MB allocated of %.0f MB\n",
		float64(size(ucvmInitrd))/1e6, float64(size(b.kern.Vmlinuz))/1e6, float64(size(classicInitrd))/1e6,
		float64(allocated(disk))/1e6, float64(size(disk))/1e6)
}

// seconds formats a guest time, "-" when it was not seen.
func seconds(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", d.Seconds())
}

func guestRatio(r, base result) string {
	if r.guestUp <= 0 || base.guestUp <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r.guestUp.Seconds()/base.guestUp.Seconds())
}

// classicOf returns the classic boot (c) of a round, the base of ratios.
func classicOf(res []result) result {
	for _, r := range res {
		if strings.HasPrefix(r.name, "(c)") {
			return r
		}
	}
	return res[len(res)-1]
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// classicNetName names boot (f) (-classicnet).
const classicNetName = "(f) classic ext4 disk with its network driver"

// reportAgainst prints the median guest-time ratios of (a) and (b) to the
// boot named base, when the rounds have it.
func (b *bench) reportAgainst(rounds [][]result, base string) {
	ratios := map[string][]float64{}
	for _, res := range rounds {
		i := slices.IndexFunc(res, func(r result) bool { return r.name == base })
		if i < 0 || res[i].guestUp <= 0 {
			return
		}
		for _, r := range res {
			if (strings.HasPrefix(r.name, "(a)") || strings.HasPrefix(r.name, "(b)")) && r.guestUp > 0 {
				ratios[r.name] = append(ratios[r.name], r.guestUp.Seconds()/res[i].guestUp.Seconds())
			}
		}
	}
	for _, r := range rounds[0] {
		if v := ratios[r.name]; len(v) > 0 {
			fmt.Printf("guest / %s: %s **%.3f** (range %.3f–%.3f)\n", base[:3], r.name, median(v), slices.Min(v), slices.Max(v))
		}
	}
}
