package patch

import (
	"context"
	"database/sql"
	"log/slog"

	"github.com/migtest/migtest/migtest/internal/patchrt"
)

// The runner's side of this package lives in internal/patchrt, out of an
// author's sight. These test-only names let this package's tests build
// contexts the way the runner does (through patchrt), with stores typed on
// *DB.

// Config is patchrt.Config with a Store typed on *DB.
type Config struct {
	Logger   *slog.Logger
	Store    Store
	Progress patchrt.ProgressFunc
}

// Store is patchrt.Store with *DB for the connection.
type Store interface {
	LoadCheckpoint(ctx context.Context, id string) ([]byte, error)
	SaveCheckpoint(ctx context.Context, db *DB, id string, data []byte) error
	SaveSteps(ctx context.Context, db *DB, id string, steps []StepResult) error
}

// StepResult is patchrt.StepResult.
type StepResult = patchrt.StepResult

// NewDB is patchrt.NewDB.
func NewDB(db *sql.DB, hook patchrt.StatementHook) *DB { return patchrt.NewDB[*DB](db, hook) }

// NewContext is patchrt.NewContext.
func NewContext(id string, db *DB, cfg Config) *Context {
	var st patchrt.Store
	if cfg.Store != nil {
		st = typedStore{cfg.Store}
	}
	return patchrt.NewContext[*Context](id, db, patchrt.Config{Logger: cfg.Logger, Store: st, Progress: cfg.Progress})
}

type typedStore struct{ s Store }

func (t typedStore) LoadCheckpoint(ctx context.Context, id string) ([]byte, error) {
	return t.s.LoadCheckpoint(ctx, id)
}

func (t typedStore) SaveCheckpoint(ctx context.Context, db patchrt.Execer, id string, data []byte) error {
	return t.s.SaveCheckpoint(ctx, db.(*DB), id, data)
}

func (t typedStore) SaveSteps(ctx context.Context, db patchrt.Execer, id string, steps []StepResult) error {
	return t.s.SaveSteps(ctx, db.(*DB), id, steps)
}
