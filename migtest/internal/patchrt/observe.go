package patchrt

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// FailedStatement is a statement a patch sent that the server (or the
// driver) refused.
type FailedStatement struct {
	// Patch is the ID of the patch (or hook) that sent it.
	Patch string
	// Query is the statement's text.
	Query string
	// Err is the error it failed with.
	Err error
	// Budget, when not empty, names the declared budget the failure was
	// counted against (e.g. "batch backfill: MaxErrors 5"): not swallowed.
	Budget string
}

// Observer collects the failed statements of the patches run under a
// context that carries it (WithObserver). A rehearsal uses it to find the
// errors a patch swallowed: failed, yet the patch returned success.
type Observer struct {
	mu     sync.Mutex
	failed []FailedStatement
}

type observerKey struct{}

// WithObserver returns ctx carrying o: every *patch.DB statement run under
// it that fails is recorded in o.
func WithObserver(ctx context.Context, o *Observer) context.Context {
	return context.WithValue(ctx, observerKey{}, o)
}

// Failed reports a failed statement to the Observer in ctx, if any. Errors
// that are no statement failure (no row, the context ended) are not recorded.
func Failed(ctx context.Context, query string, err error) {
	o, _ := ctx.Value(observerKey{}).(*Observer)
	if o == nil || err == nil || errors.Is(err, sql.ErrNoRows) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.failed = append(o.failed, FailedStatement{Patch: IDFromContext(ctx), Query: query, Err: err})
}

// Mark returns a position in ctx's Observer's record, for CountAgainst.
func Mark(ctx context.Context) int {
	o, _ := ctx.Value(observerKey{}).(*Observer)
	if o == nil {
		return 0
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.failed)
}

// CountAgainst marks the failures recorded since mark as counted against
// the declared budget (a helper that tolerates them by contract, such as
// Batch's MaxErrors): they are the helper's, not swallowed.
func CountAgainst(ctx context.Context, mark int, budget string) {
	o, _ := ctx.Value(observerKey{}).(*Observer)
	if o == nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := mark; i < len(o.failed); i++ {
		if o.failed[i].Budget == "" {
			o.failed[i].Budget = budget
		}
	}
}

type chunkCapKey struct{}

// WithChunkCap returns ctx under which Batch runs chunks of at most n rows
// and at most a quarter of its table (at least its MinSize): a rehearsal's
// crash-resume runs use it so that a crash can land between two committed
// chunks on a small fixture too.
func WithChunkCap(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, chunkCapKey{}, n)
}

// ChunkCap returns the cap WithChunkCap put in ctx (0 for none).
func ChunkCap(ctx context.Context) int {
	n, _ := ctx.Value(chunkCapKey{}).(int)
	return n
}

// Unaccounted returns the failures recorded so far that no budget counted,
// and forgets every recorded failure.
func (o *Observer) Unaccounted() []FailedStatement {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []FailedStatement
	for _, f := range o.failed {
		if f.Budget == "" {
			out = append(out, f)
		}
	}
	o.failed = nil
	return out
}
