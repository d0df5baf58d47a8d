package cli

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/migtest/migtest/migtest/migrate"
)

// barsOn reports whether progress bars are drawn: not with -q, and only when
// stderr is a terminal (elsewhere the periodic log lines say the same).
func (a *app) barsOn() bool {
	if a.quiet {
		return false
	}
	w := a.stderr
	if sw, ok := w.(scrubWriter); ok {
		w = sw.w
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress is the one progress display of every command, for tasks counted
// in unit ("rows" or "bytes"): a bar per task on a terminal, log lines with
// rate and ETA elsewhere (progressLog), nothing with -q. A task ends when
// done reaches a positive total.
func (a *app) progress(unit string) migrate.ProgressFunc {
	switch {
	case a.quiet:
		return nil
	case !a.barsOn():
		return a.progressLog(unit)
	}
	var mu sync.Mutex
	bars := map[string]*progressbar.ProgressBar{}
	return func(name string, done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		b := bars[name]
		if b == nil {
			b = a.newBar(name, unit, total)
			bars[name] = b
		}
		if total > 0 && total != b.GetMax64() {
			b.ChangeMax64(total)
		}
		_ = b.Set64(done)
		if total > 0 && done >= total {
			_ = b.Finish()
			delete(bars, name)
		}
	}
}

// newBar is a progress bar on stderr for one task.
func (a *app) newBar(name, unit string, total int64) *progressbar.ProgressBar {
	if total <= 0 {
		total = -1
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(name),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
	}
	if unit == "bytes" {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit))
	}
	return progressbar.NewOptions64(total, opts...)
}

// progressInterval is how often progressLog writes a line per task.
const progressInterval = 10 * time.Second

// progressLog returns a ProgressFunc that logs a line per task at most
// every progressInterval (and at the end): done, total, rate and ETA. It
// stands in for the bars where stderr is not a terminal (CI, Kubernetes).
func (a *app) progressLog(unit string) migrate.ProgressFunc {
	type state struct {
		start, last time.Time
	}
	var mu sync.Mutex
	tasks := map[string]*state{}
	return func(name string, done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		st := tasks[name]
		if st == nil {
			st = &state{start: now}
			tasks[name] = st
		}
		finished := total > 0 && done >= total
		if !finished && now.Sub(st.last) < progressInterval {
			return
		}
		st.last = now
		a.log.Info("progress", progressAttrs(name, unit, done, total, now.Sub(st.start), finished)...)
		if finished {
			delete(tasks, name)
		}
	}
}

// progressAttrs are the attributes of a progress log line: task, done,
// rate, and with a total the percentage and the ETA.
func progressAttrs(name, unit string, done, total int64, elapsed time.Duration, finished bool) []any {
	attrs := []any{"task", name, "unit", unit, "done", done}
	if elapsed > 0 {
		attrs = append(attrs, "rate_per_s", int64(float64(done)/elapsed.Seconds()))
	}
	if total > 0 {
		attrs = append(attrs, "total", total, "percent", fmt.Sprintf("%.1f", 100*float64(done)/float64(total)))
		if done > 0 && !finished {
			eta := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
			attrs = append(attrs, "eta", eta.Round(time.Second).String())
		}
	}
	return attrs
}
