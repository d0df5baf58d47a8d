package patch

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/migtest/migtest/migtest/internal/patchrt"
)

func init() {
	patchrt.Register(
		func(db *sql.DB, hook patchrt.StatementHook) any { return &DB{db: db, hook: hook} },
		func(id string, db any, cfg patchrt.Config) any { return newContext(id, db.(*DB), cfg) },
		func(pc any) []patchrt.StepResult { return pc.(*Context).stepResults() },
	)
}

// Context is what a patch runs with. Its methods are safe for use by one
// goroutine at a time.
type Context struct {
	// ID is the running patch's ID (or "before_migrate", "after_migrate").
	ID string
	// DB runs statements; inside a transaction for an InTx patch.
	DB *DB
	// Log is the patch's logger.
	Log *slog.Logger

	store    patchrt.Store
	progress patchrt.ProgressFunc

	mu    sync.Mutex
	state map[string]json.RawMessage // the checkpoint, by key; nil until loaded
	steps []patchrt.StepResult
}

// newContext returns the Context for patch id over db (the runner calls
// it through patchrt.NewContext).
func newContext(id string, db *DB, cfg patchrt.Config) *Context {
	pc := &Context{ID: id, DB: db, Log: cfg.Logger, store: cfg.Store, progress: cfg.Progress}
	if pc.Log == nil {
		pc.Log = slog.New(slog.DiscardHandler)
	}
	pc.Log = pc.Log.With("patch", id)
	if pc.store == nil {
		pc.store = &memStore{}
	}
	return pc
}

// stepResults returns the results of the steps run so far.
func (pc *Context) stepResults() []patchrt.StepResult {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return append([]patchrt.StepResult(nil), pc.steps...)
}

// Progress reports progress of long work to the progress callback.
func (pc *Context) Progress(name string, done, total int64) {
	if pc.progress != nil {
		pc.progress(name, done, total)
	}
}

func (pc *Context) loadState(ctx context.Context) error {
	if pc.state != nil {
		return nil
	}
	b, err := pc.store.LoadCheckpoint(ctx, pc.ID)
	if err != nil {
		return fmt.Errorf("load checkpoint of %s: %w", pc.ID, err)
	}
	st := map[string]json.RawMessage{}
	if len(b) > 0 {
		if err := json.Unmarshal(b, &st); err != nil {
			return fmt.Errorf("load checkpoint of %s: not a checkpoint written by this package: %w", pc.ID, err)
		}
	}
	pc.state = st
	return nil
}

// Load reads the value saved under key by an earlier Save of this patch,
// possibly in an earlier, interrupted run, into v. It reports whether there was one.
func (pc *Context) Load(ctx context.Context, key string, v any) (bool, error) {
	if err := pc.loadState(ctx); err != nil {
		return false, err
	}
	raw, ok := pc.state[key]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("checkpoint %s of %s: %w", key, pc.ID, err)
	}
	return true, nil
}

// Save stores v (as JSON) under key in the patch's checkpoint, using db to
// write it (pass a transaction's DB to commit it with the work; nil means
// pc.DB). A later run of the same patch reads it with Load.
func (pc *Context) Save(ctx context.Context, db *DB, key string, v any) error {
	if err := pc.loadState(ctx); err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("checkpoint %s of %s: %w", key, pc.ID, err)
	}
	next := make(map[string]json.RawMessage, len(pc.state)+1)
	for k, v := range pc.state {
		next[k] = v
	}
	next[key] = raw
	b, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if db == nil {
		db = pc.DB
	}
	if err := pc.store.SaveCheckpoint(ctx, db, pc.ID, b); err != nil {
		return fmt.Errorf("save checkpoint of %s: %w", pc.ID, err)
	}
	pc.state = next
	return nil
}

// Criticality says whether a failed step stops the patch.
type Criticality bool

const (
	// Critical: a failed step returns a *StepError, which should stop the patch.
	Critical Criticality = true
	// Optional: a failed step is recorded, and Step returns nil.
	Optional Criticality = false
)

// StepError is the error of a failed critical step.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return fmt.Sprintf("step %s: %v", e.Step, e.Err) }
func (e *StepError) Unwrap() error { return e.Err }

// Step runs fn as the named step and records its result (fn's message),
// duration and error in the patch log. A failed critical step returns a
// *StepError, which should stop the patch; a failed non-critical step is
// recorded and Step returns nil. If the result cannot be recorded, Step
// returns a *StepError too. A panic in fn is a failure of the step.
//
//	err := pc.Step(ctx, "backup customers", patch.Critical, func(ctx context.Context) (string, error) { ... })
func (pc *Context) Step(ctx context.Context, name string, criticality Criticality, fn func(ctx context.Context) (string, error)) error {
	critical := bool(criticality)
	start := time.Now()
	pc.Log.Info("step start", "step", name, "critical", critical)
	msg, err := runStep(ctx, fn)
	r := patchrt.StepResult{Name: name, Critical: critical, OK: err == nil, Result: msg,
		Started: start.UTC(), Duration: time.Since(start).Seconds()}
	if err != nil {
		r.Error = err.Error()
	}
	pc.mu.Lock()
	pc.steps = append(pc.steps, r)
	steps := append([]patchrt.StepResult(nil), pc.steps...)
	pc.mu.Unlock()
	db := pc.DB
	if saveErr := pc.store.SaveSteps(context.WithoutCancel(ctx), db, pc.ID, steps); saveErr != nil {
		// A step the log does not show would be a lie in the log; stop,
		// and the next run does the (idempotent) step again.
		pc.Log.Error("could not record step", "step", name, "err", saveErr)
		return &StepError{Step: name, Err: errors.Join(err, fmt.Errorf("record the step in the patch log: %w", saveErr))}
	}
	switch {
	case err == nil:
		pc.Log.Info("step done", "step", name, "result", msg, "duration", time.Since(start).Round(time.Millisecond))
		return nil
	case critical:
		pc.Log.Error("critical step failed", "step", name, "err", err)
		return &StepError{Step: name, Err: err}
	default:
		pc.Log.Warn("step failed, going on (not critical)", "step", name, "err", err)
		return nil
	}
}

func runStep(ctx context.Context, fn func(ctx context.Context) (string, error)) (msg string, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return fn(ctx)
}

// memStore is the Store of a Context without a runner: it keeps everything
// in memory for one run.
type memStore struct {
	mu         sync.Mutex
	checkpoint []byte
}

func (m *memStore) LoadCheckpoint(context.Context, string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.checkpoint, nil
}

func (m *memStore) SaveCheckpoint(_ context.Context, _ patchrt.Execer, _ string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.checkpoint = data
	return nil
}

func (m *memStore) SaveSteps(context.Context, patchrt.Execer, string, []patchrt.StepResult) error {
	return nil
}
