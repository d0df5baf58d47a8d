// Package patchrt is the runner's side of package patch: what the runner
// (migrate) and the rehearsal use to build the *patch.Context a patch runs
// with, and nothing a patch author needs. Package patch registers its
// constructors here when it is initialised.
package patchrt

import (
	"context"
	"database/sql"
	"log/slog"
	"time"
)

// StatementHook is called before every statement a patch or a helper runs
// through its *patch.DB (including BEGIN and COMMIT). An error aborts the
// statement.
type StatementHook func(ctx context.Context, query string) error

// ProgressFunc receives progress reports of long helpers: name (a batch's
// name), rows done and total (total may be an estimate, 0 when unknown).
type ProgressFunc func(name string, done, total int64)

// Execer runs a statement: a *patch.DB, in or outside a transaction.
type Execer interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Store keeps a patch's checkpoint and step results (the runner's patch
// log). db is the patch's connection, in its transaction when it has one,
// so that a checkpoint commits with the work it records.
type Store interface {
	LoadCheckpoint(ctx context.Context, id string) ([]byte, error)
	SaveCheckpoint(ctx context.Context, db Execer, id string, data []byte) error
	SaveSteps(ctx context.Context, db Execer, id string, steps []StepResult) error
}

// Config is what the runner gives a patch's context.
type Config struct {
	// Logger receives the helpers' logs (discarded when nil).
	Logger *slog.Logger
	// Store keeps checkpoints and steps (in memory when nil).
	Store Store
	// Progress receives progress reports (none when nil).
	Progress ProgressFunc
}

// StepResult is the record of one named step of a patch (patch.Context.Step).
type StepResult struct {
	Name     string    `json:"name"`
	Critical bool      `json:"critical"`
	OK       bool      `json:"ok"`
	Result   string    `json:"result,omitempty"`
	Error    string    `json:"error,omitempty"`
	Started  time.Time `json:"started"`
	Duration float64   `json:"duration_s"`
}

type idKey struct{}

// ContextWithID returns ctx carrying the ID of the patch (or hook) that
// runs in it, for statement hooks to attribute statements.
func ContextWithID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, idKey{}, id)
}

// IDFromContext returns the patch ID ContextWithID put in ctx ("" for none).
func IDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(idKey{}).(string)
	return id
}

// The constructors package patch registers (see Register).
var (
	newDB      func(db *sql.DB, hook StatementHook) any
	newContext func(id string, db any, cfg Config) any
	steps      func(pc any) []StepResult
)

// Register is called by package patch's init with its constructors.
func Register(db func(*sql.DB, StatementHook) any, ctx func(string, any, Config) any, st func(any) []StepResult) {
	newDB, newContext, steps = db, ctx, st
}

// NewDB wraps db for patches: D is *patch.DB. hook, if set, sees every
// statement first.
func NewDB[D any](db *sql.DB, hook StatementHook) D { return newDB(db, hook).(D) }

// NewContext returns the context a patch runs with: C is *patch.Context,
// db its *patch.DB (the transaction's for an InTx patch).
func NewContext[C, D any](id string, db D, cfg Config) C { return newContext(id, db, cfg).(C) }

// Steps returns the step results recorded on pc (a *patch.Context) so far.
func Steps(pc any) []StepResult { return steps(pc) }
