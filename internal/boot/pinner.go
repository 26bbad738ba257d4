package boot

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ucvm/ucvm/internal/fusefs"
)

// PinArgv0 is argv[0] of the background pinning process.
const PinArgv0 = "@ucvm-pin"

// pinWorkers is how many pins run at once: one, as in the original. The
// pinner runs while the OS boots and its downloads, inflation and hashing
// happen in the client daemon, which also serves the OS: with six workers a
// warm boot of the demo OS (283 pinned files) on one emulated CPU reached
// systemd 1.6 s later, and a cold boot was not faster (bench/boot,
// docs/benchmarks.md).
const pinWorkers = 1

// PinMain pins every existing path of a pin list (args: list, socket,
// os path, sentinel) and creates the sentinel at the end.
func PinMain(args []string) int {
	if len(args) < 5 {
		return 2
	}
	data, err := os.ReadFile(args[1])
	if err != nil {
		return 1
	}
	paths := pinPaths(string(data), args[3])
	errs := pinAll(paths, pinWorkers, func(p string) error {
		_, err := fusefs.Talk(args[2], "pin "+p, 2*time.Minute)
		return err
	})
	_ = os.WriteFile(args[4], []byte(fmt.Sprintf("failed %d\n%s", len(errs), strings.Join(errs, "\n"))), 0o644)
	return 0
}

// pinPaths turns the lines of a pin list (paths relative to the OS root;
// blank lines and # comments skipped) into repository paths below osPath.
func pinPaths(list, osPath string) []string {
	var out []string
	for _, p := range strings.Split(list, "\n") {
		p = strings.TrimSpace(p)
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		out = append(out, "/"+strings.Trim(filepath.Join(osPath, p), "/"))
	}
	return out
}

// pinAll runs pin on every path with the given number of workers, three
// tries each, and returns "path: error" for those that failed, in list order.
func pinAll(paths []string, workers int, pin func(string) error) []string {
	failed := make([]string, len(paths))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < max(workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var err error
				for try := 0; try < 3; try++ {
					if err = pin(paths[i]); err == nil {
						break
					}
					time.Sleep(500 * time.Millisecond)
				}
				if err != nil {
					failed[i] = paths[i] + ": " + err.Error()
				}
			}
		}()
	}
	for i := range paths {
		work <- i
	}
	close(work)
	wg.Wait()
	var errs []string
	for _, f := range failed {
		if f != "" {
			errs = append(errs, f)
		}
	}
	return errs
}
