package image

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"text/tabwriter"
)

// WriteText prints the build summary: artifacts, initrd composition and
// the size budget.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "ucvm %s, kernel %s (%s)\n", r.Version, r.KernelVersion, mb(r.KernelBytes))
	branches := make([]string, 0, len(r.Initrds))
	for b := range r.Initrds {
		branches = append(branches, b)
	}
	sort.Strings(branches)
	for _, b := range branches {
		st := r.Initrds[b]
		fmt.Fprintf(w, "initrd %s: %s compressed (%s), %s raw = init %s + %d modules %s + busybox %s + other %s\n",
			b, mb(st.CompressedBytes), st.Compressor, mb(st.RawBytes), mb(st.InitBytes), len(st.Modules), mb(st.ModuleBytes), mb(st.BusyboxBytes), mb(st.OtherBytes))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "file\tbytes\tseconds\t")
	for _, a := range r.Artifacts {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t\n", filepath.Base(a.Path), a.Size, a.Duration.Seconds())
	}
	tw.Flush()
	fmt.Fprintf(w, "budget: iso <= %s, initrd <= %s; built in %.1fs\n", decMB(BudgetISO), decMB(BudgetInitrd), r.Total.Seconds())
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}
