package boot

import (
	"fmt"
	"strings"
	"time"
)

// Timings records the duration of every boot step.
type Timings struct {
	start time.Time
	steps []stepTime
	cur   string
	t0    time.Time
}

type stepTime struct {
	name string
	d    time.Duration
}

// NewTimings starts the clock.
func NewTimings() *Timings { return &Timings{start: time.Now()} }

// Begin starts a step (ending the previous one).
func (t *Timings) Begin(name string) {
	t.End()
	t.cur, t.t0 = name, time.Now()
}

// End ends the current step.
func (t *Timings) End() {
	if t.cur != "" {
		t.steps = append(t.steps, stepTime{t.cur, time.Since(t.t0)})
		t.cur = ""
	}
}

// Total is the time since NewTimings.
func (t *Timings) Total() time.Duration { return time.Since(t.start) }

// Report renders one line per step and the total (plus extra lines).
func (t *Timings) Report(extra ...string) string {
	t.End()
	var b strings.Builder
	fmt.Fprintf(&b, "boot at %s\n", t.start.UTC().Format(time.RFC3339))
	for _, s := range t.steps {
		fmt.Fprintf(&b, "step %-14s %8.3fs\n", s.name, s.d.Seconds())
	}
	fmt.Fprintf(&b, "total %23.3fs\n", t.Total().Seconds())
	for _, e := range extra {
		b.WriteString(e + "\n")
	}
	return b.String()
}
