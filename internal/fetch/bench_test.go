package fetch

import (
	"context"
	"fmt"
	"net/http"
	"testing"
)

// BenchmarkSmallObjects fetches 4 KiB objects from a loopback origin over
// keep-alive connections and with a new connection per request (the
// baseline), 1 and 8 callers in parallel.
func BenchmarkSmallObjects(b *testing.B) {
	objs := objects(1024, 4096)
	o := startOrigin(b, objs)
	for _, keep := range []bool{true, false} {
		for _, par := range []int{1, 8} {
			name := fmt.Sprintf("keepalive=%v/par=%d", keep, par)
			b.Run(name, func(b *testing.B) {
				c := testConfig(o.url + "/repo")
				c.SpoolLimit = -1
				f := mustNew(b, c)
				f.client.Transport.(*http.Transport).DisableKeepAlives = !keep
				b.SetBytes(4096)
				b.SetParallelism(par)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					i := 0
					for pb.Next() {
						i++
						k := (i * 31) % 1024
						p := fmt.Sprintf("data/%02x/obj%d", k%256, k)
						if _, err := f.GetBytes(context.Background(), p, 1<<20); err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}
