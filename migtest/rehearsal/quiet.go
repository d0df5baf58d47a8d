package rehearsal

import (
	"context"
	"log/slog"
)

type quietKey struct{}

// quietly marks ctx as a check's run (idempotency, crash-resume): its logs
// go to debug level, so that a rehearsal's output is its own run's.
func quietly(ctx context.Context) context.Context { return context.WithValue(ctx, quietKey{}, true) }

// logFor is log, demoted to debug level under quietly (warnings and errors
// included: a check's failures are reported as problems).
func logFor(ctx context.Context, log *slog.Logger) *slog.Logger {
	if q, _ := ctx.Value(quietKey{}).(bool); !q {
		return log
	}
	return slog.New(demote{log.Handler()})
}

// demote is a handler that passes every record on at debug level.
type demote struct{ h slog.Handler }

func (d demote) Enabled(ctx context.Context, _ slog.Level) bool {
	return d.h.Enabled(ctx, slog.LevelDebug)
}

func (d demote) Handle(ctx context.Context, r slog.Record) error {
	r2 := slog.NewRecord(r.Time, slog.LevelDebug, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool { r2.AddAttrs(a); return true })
	return d.h.Handle(ctx, r2)
}

func (d demote) WithAttrs(as []slog.Attr) slog.Handler { return demote{d.h.WithAttrs(as)} }
func (d demote) WithGroup(name string) slog.Handler    { return demote{d.h.WithGroup(name)} }
