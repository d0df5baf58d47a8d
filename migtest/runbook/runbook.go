// Package runbook is the production runbook as a library: preflight checks,
// a backup before up, up itself, verification, rollback (whole database or
// only the tables a run touched), restoring a dump into a database,
// detecting sessions that block DDL, Frappe's maintenance mode, and running
// any of it across many sites. The migrate command line (migtest/cli) is
// flags and rendering over this package; a team's own tool can call it
// directly:
//
//	rb, err := runbook.New(db, target, runbook.Options{Set: patches.Set})
//	results, err := rb.Check(ctx, runbook.CheckOptions{BackupDir: dir})
//	report, err := rb.Up(ctx, runbook.UpOptions{BackupDir: dir})
//	...
//
// The package links no disposable-server code: it is what a production
// binary needs and no more.
package runbook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/patch"
)

// Options configure a Runbook.
type Options struct {
	// Set is the ordered patch set up runs. Required.
	Set patch.Set
	// Logger receives the runbook's log lines (default: discarded).
	Logger *slog.Logger
	// ToolVersion is recorded in the patch and run logs and reports (default "dev").
	ToolVersion string
	// Rows reports the progress of batched patch steps in rows (optional).
	Rows migrate.ProgressFunc
	// Bytes reports the progress of backups and restores in bytes
	// (optional). The last call of a task has done == total.
	Bytes migrate.ProgressFunc
}

// Validate reports what is wrong with o, or nil. The steps that run or
// read patches (Check, Up, Rollback, Status) call it; Backup, Restore and
// Verify work without a valid set.
func (o Options) Validate() error {
	if err := o.Set.Validate(); err != nil {
		return fmt.Errorf("the patch set is invalid: %w", err)
	}
	return nil
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o.Logger
}

func (o Options) version() string {
	if o.ToolVersion == "" {
		return "dev"
	}
	return o.ToolVersion
}

// Runbook runs the production steps against one database. It is safe
// for one goroutine at a time; use one Runbook a site for many sites.
type Runbook struct {
	db     *sql.DB
	target Target
	opts   Options
	log    *slog.Logger
}

// New returns a Runbook over db, an open pool on target's database. The
// caller keeps db and closes it after the Runbook's last call.
func New(db *sql.DB, target Target, o Options) (*Runbook, error) {
	if db == nil {
		return nil, &InputError{Err: errors.New("runbook: no database pool; open the target first (Target.Open)")}
	}
	if err := target.Validate(); err != nil {
		return nil, err
	}
	return &Runbook{db: db, target: target, opts: o, log: o.logger()}, nil
}

// DB is the pool the runbook works through.
func (r *Runbook) DB() *sql.DB { return r.db }

// Target is the database the runbook works on.
func (r *Runbook) Target() Target { return r.target }

// Migrator returns the patch runner over the runbook's database, with the
// runbook's logger and tool version, for status, plan and mark.
func (r *Runbook) Migrator(opts ...migrate.Option) (*migrate.Migrator, error) {
	return r.migratorOn(r.db, r.log, opts...)
}

// migratorOn is Migrator over another pool and logger.
func (r *Runbook) migratorOn(db *sql.DB, log *slog.Logger, opts ...migrate.Option) (*migrate.Migrator, error) {
	if err := r.opts.Validate(); err != nil {
		return nil, err
	}
	opts = append([]migrate.Option{migrate.WithLogger(log), migrate.WithToolVersion(r.opts.version())}, opts...)
	return migrate.New(db, r.opts.Set, opts...)
}

// Status is the runner's status of the database, except that LastRun is
// the newest run of any kind (an up, a rollback), not only the newest up.
func (r *Runbook) Status(ctx context.Context) (*migrate.Status, error) {
	m, err := r.Migrator()
	if err != nil {
		return nil, err
	}
	st, err := m.Status(ctx)
	if err != nil {
		return nil, err
	}
	runs, err := m.Runs(ctx)
	if err != nil {
		return nil, err
	}
	for i := range runs {
		if st.LastRun == nil || !runs[i].Started.Before(st.LastRun.Started) {
			st.LastRun = &runs[i]
		}
	}
	return st, nil
}

// InputError is a mistake in what the caller gave: a file that cannot be
// read, options that contradict each other, a database that is not in the
// state the step needs. Fixing the input and running again helps; the
// command line exits 2 on it.
type InputError struct{ Err error }

// Error is the message of the mistake.
func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *InputError) Unwrap() error { return e.Err }

func inputErrorf(format string, args ...any) error {
	return &InputError{Err: fmt.Errorf(format, args...)}
}

// VerifyError is a failed verification: a check failed, or the schema
// differs from the expected snapshot. The command line exits 4 on it.
type VerifyError struct{ Err error }

// Error names the failed checks.
func (e *VerifyError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *VerifyError) Unwrap() error { return e.Err }
