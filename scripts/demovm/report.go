package main

import (
	"fmt"
	"io/fs"
	"path/filepath"
)

func (d *demo) report() error {
	b := d.res
	fetched, requests := d.fetched()
	treeBytes, treeFiles := dirSize(d.path("osroot", "os"))
	say("result")
	fmt.Printf("   bootloader banner     %6.1f s after QEMU start\n", b.banner.Seconds())
	fmt.Printf("   OS init (systemd)     %6.1f s\n", b.osInit.Seconds())
	fmt.Printf("   OS up (login prompt)  %6.1f s\n", b.up.Seconds())
	fmt.Printf("   whole run to power-off %5.1f s\n", b.total.Seconds())
	fmt.Printf("   fetched from the repository: %.1f MB in %d requests; the OS tree is %.1f MB in %d files (%.0f%% fetched)\n",
		float64(fetched)/1e6, requests, float64(treeBytes)/1e6, treeFiles, 100*float64(fetched)/float64(max(treeBytes, 1)))
	for _, l := range b.demoLines {
		fmt.Printf("   %s\n", l)
	}
	st := d.loadState()
	switch {
	case b.cold:
		st.ColdUpSeconds = b.up.Seconds()
		d.saveState(st)
		fmt.Println("   this was a cold boot (empty cache); run `make demo` again for a warm-cache boot")
	case st.ColdUpSeconds > 0:
		r := st.ColdUpSeconds / b.up.Seconds()
		how := fmt.Sprintf("%.2f× faster", r)
		if r < 1 {
			how = fmt.Sprintf("%.2f× slower: this machine's load varies more than the cache saves", 1/r)
		}
		fmt.Printf("   warm cache: OS up in %.1f s, the cold boot took %.1f s (%s)\n", b.up.Seconds(), st.ColdUpSeconds, how)
	default:
		fmt.Println("   warm cache (scratch disk of an earlier run)")
	}
	return d.bootPack()
}

func dirSize(root string) (int64, int) {
	var total int64
	n := 0
	filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err == nil && e.Type().IsRegular() && e.Name() != packName {
			if info, err := e.Info(); err == nil {
				total += info.Size()
				n++
			}
		}
		return nil
	})
	return total, n
}
