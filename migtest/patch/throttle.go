package patch

import (
	"context"
	"fmt"
	"time"
)

// Throttle tells the helpers that write in chunks (Batch) when to pause and
// how large one transaction may be. The runner (package migrate) builds one
// from the server's topology: replica lag, and Galera's write-set limits.
type Throttle struct {
	// Check returns why writes should pause now, e.g. "replica lag 7.2 s
	// on db2:3306" or "replica db2:3306 does not answer", or "" to go on.
	// It is called before every chunk and should be cheap (cache what it
	// reads for a fraction of a second).
	Check func(ctx context.Context) string
	// Poll is how often Check is asked again while paused (default 500ms).
	Poll time.Duration
	// MaxPause is the longest one pause may last before the batch fails
	// with a *ThrottledError (default 30 minutes); the batch's committed
	// chunks are kept, so the next run resumes it.
	MaxPause time.Duration
	// MaxTxRows and MaxTxBytes cap one chunk's transaction (Galera's
	// wsrep_max_ws_rows and wsrep_max_ws_size); 0 means no cap.
	MaxTxRows  int
	MaxTxBytes int64
}

// ThrottledError is returned by a chunked helper paused for longer than
// Throttle.MaxPause.
type ThrottledError struct {
	Name   string        // the batch
	Reason string        // the last reason to pause
	Paused time.Duration // how long it paused
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("batch %s: paused %s and still throttled (%s): fix the replica or raise the limit, then run up again (the batch resumes from its last chunk)",
		e.Name, e.Paused.Round(time.Second), e.Reason)
}

type throttleKey struct{}

// ContextWithThrottle returns ctx carrying t: the chunked helpers of a
// Context run with ctx consult it before every chunk.
func ContextWithThrottle(ctx context.Context, t *Throttle) context.Context {
	return context.WithValue(ctx, throttleKey{}, t)
}

// throttleFrom returns the Throttle of ctx, or nil.
func throttleFrom(ctx context.Context) *Throttle {
	t, _ := ctx.Value(throttleKey{}).(*Throttle)
	if t == nil || t.Check == nil {
		return nil
	}
	return t
}

// capSize lowers max so that a chunk of avgRow-byte rows stays within half
// of the transaction limits (the other half is headroom for the checkpoint,
// secondary indexes and rows longer than the average).
func (t *Throttle) capSize(max int, avgRow int64) int {
	if t == nil {
		return max
	}
	if t.MaxTxRows > 0 {
		max = min(max, t.MaxTxRows/2)
	}
	if t.MaxTxBytes > 0 && avgRow > 0 {
		max = min(max, int(min(t.MaxTxBytes/2/avgRow, 1<<30)))
	}
	return max
}

// wait blocks while t's Check gives a reason to pause, logging when a pause
// starts, every 10 s while it lasts, and when it ends.
func (pc *Context) waitThrottle(ctx context.Context, t *Throttle, name string) error {
	if t == nil {
		return nil
	}
	reason := t.Check(ctx)
	if reason == "" {
		return nil
	}
	poll, maxPause := t.Poll, t.MaxPause
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	if maxPause <= 0 {
		maxPause = 30 * time.Minute
	}
	start := time.Now()
	pc.Log.Warn("throttled: "+reason, "batch", name)
	lastLog := start
	for reason != "" {
		if time.Since(start) > maxPause {
			return &ThrottledError{Name: name, Reason: reason, Paused: time.Since(start)}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(poll):
		}
		next := t.Check(ctx)
		if next != "" && (time.Since(lastLog) >= 10*time.Second || headline(next) != headline(reason)) {
			pc.Log.Warn("throttled: "+next, "batch", name, "paused", time.Since(start).Round(100*time.Millisecond))
			lastLog = time.Now()
		}
		reason = next
	}
	pc.Log.Info("throttle lifted, resuming", "batch", name, "paused", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// headline is a reason without its figures, so that a lag going from 7.2 s
// to 7.4 s is not logged as a new reason.
func headline(reason string) string {
	out := make([]byte, 0, len(reason))
	for i := 0; i < len(reason); i++ {
		if c := reason[i]; (c < '0' || c > '9') && c != '.' {
			out = append(out, c)
		}
	}
	return string(out)
}
