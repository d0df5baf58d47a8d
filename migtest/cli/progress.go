package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/migtest/migtest/migtest/internal/progress"
	"github.com/migtest/migtest/migtest/patch"
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

// progressFunc returns the callback that draws one bar per batched patch
// step, or nil when bars are off.
func (a *app) progressFunc() patch.ProgressFunc {
	if !a.barsOn() {
		if a.quiet {
			return nil
		}
		return a.progressLog()
	}
	var mu sync.Mutex
	bars := map[string]*progressbar.ProgressBar{}
	return func(name string, done, total int64) {
		mu.Lock()
		defer mu.Unlock()
		b := bars[name]
		if b == nil {
			b = progressbar.NewOptions64(total,
				progressbar.OptionSetWriter(a.stderr),
				progressbar.OptionSetDescription(name),
				progressbar.OptionShowCount(),
				progressbar.OptionShowIts(),
				progressbar.OptionSetItsString("rows"),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionThrottle(200_000_000),
				progressbar.OptionClearOnFinish(),
			)
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

// byteBar returns a progress bar over a byte count for backups and restores,
// or nil when bars are off.
func (a *app) byteBar(desc string, total int64) *progressbar.ProgressBar {
	if !a.barsOn() {
		return nil
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(a.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(200_000_000),
		progressbar.OptionClearOnFinish(),
	)
}

// writeFileAtomic writes v as indented JSON to path with mode 0600: to a
// temporary name in the same directory, synced, then renamed.
func writeFileAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// progressLog returns a ProgressFunc that logs a line per task at most
// every progress.Interval (and at the end): done, total, rate and ETA. It
// stands in for the bars where stderr is not a terminal (CI, Kubernetes).
func (a *app) progressLog() patch.ProgressFunc { return progress.Log(a.log, progress.Interval) }
