// Package progress turns progress callbacks into log lines with rate and
// ETA, for logs that are not a terminal (CI, Kubernetes): the CLI's up and
// restore, and long rehearsals, share this one implementation.
package progress

import (
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Interval is how often Log writes a line per task.
const Interval = 10 * time.Second

// Log returns a progress callback (name, done, total) that logs a line per
// task to l at most every interval (and at the start and the end): done,
// total, percent, rate and ETA. A task is finished when done reaches a
// known total: its line is written once (a restore reports all its bytes
// read while it still builds indexes), and a later call with that name
// below the total starts it afresh.
func Log(l *slog.Logger, interval time.Duration) func(name string, done, total int64) {
	type state struct {
		start, last time.Time
		finished    bool
	}
	var mu sync.Mutex
	tasks := map[string]*state{}
	return func(name string, done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		finished := total > 0 && done >= total
		st := tasks[name]
		if st != nil && st.finished {
			if finished {
				return
			}
			st = nil
		}
		if st == nil {
			st = &state{start: now}
			tasks[name] = st
		}
		if !finished && now.Sub(st.last) < interval {
			return
		}
		st.last = now
		attrs := []any{"task", name, "done", done}
		elapsed := now.Sub(st.start).Seconds()
		if elapsed > 0 {
			attrs = append(attrs, "rate_per_s", int64(float64(done)/elapsed))
		}
		if total > 0 {
			attrs = append(attrs, "total", total, "percent", fmt.Sprintf("%.1f", 100*float64(done)/float64(total)))
			if done > 0 && !finished {
				eta := time.Duration(float64(now.Sub(st.start)) * float64(total-done) / float64(done))
				attrs = append(attrs, "eta", eta.Round(time.Second).String())
			}
		}
		l.Info("progress", attrs...)
		st.finished = finished
	}
}
