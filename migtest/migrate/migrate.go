// Package migrate runs a patch.Set against a database: it records every
// patch in a patch log table, every up in a run log table, holds a lock that
// a killed process cannot leave behind, and reports status and plans.
//
//	m, err := migrate.New(db, patches.Set, migrate.WithLogger(log))
//	res, err := m.Up(ctx, migrate.UpOptions{})
package migrate

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"runtime/debug"
	"time"

	"github.com/migtest/migtest/migtest/internal/patchrt"
	"github.com/migtest/migtest/migtest/patch"
)

// Default table names.
const (
	DefaultPatchTable = "migtest_patch_log"
	DefaultRunTable   = "migtest_run_log"
)

// Migrator runs one patch set against one database. It is safe for
// concurrent use; concurrent Ups serialise on the database lock.
type Migrator struct {
	db          *sql.DB
	set         patch.Set
	patchTable  string
	runTable    string
	log         *slog.Logger
	hook        StatementHook
	progress    ProgressFunc
	toolVersion string
	host        string
	pid         int
	now         func() time.Time
}

// Option configures a Migrator.
type Option func(*Migrator)

// WithPatchTable names the patch log table (default migtest_patch_log).
func WithPatchTable(name string) Option { return func(m *Migrator) { m.patchTable = name } }

// WithRunTable names the run log table (default migtest_run_log).
func WithRunTable(name string) Option { return func(m *Migrator) { m.runTable = name } }

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(m *Migrator) { m.log = l } }

// StatementHook is called before every statement a patch or a helper runs
// (BEGIN and COMMIT included), with the statement's text; an error stops
// the statement. PatchID tells which patch runs it.
type StatementHook = patchrt.StatementHook

// ProgressFunc receives progress of long helpers: a name (a batch's), rows
// done and the total (0 when unknown).
type ProgressFunc = patchrt.ProgressFunc

// StepResult is the record of one named step of a patch, kept in the patch log.
type StepResult = patchrt.StepResult

// PatchID returns the ID of the patch (or hook: "before_migrate",
// "after_migrate") a statement hook's ctx belongs to, "" for none.
func PatchID(ctx context.Context) string { return patchrt.IDFromContext(ctx) }

// WithStatementHook routes every statement a patch or a helper runs
// (not the runner's own bookkeeping) through h before it runs.
func WithStatementHook(h StatementHook) Option { return func(m *Migrator) { m.hook = h } }

// WithProgress sets the progress callback patches report to.
func WithProgress(fn ProgressFunc) Option { return func(m *Migrator) { m.progress = fn } }

// WithToolVersion sets the version recorded in the logs (default: the main
// module's version from the build info).
func WithToolVersion(v string) Option { return func(m *Migrator) { m.toolVersion = v } }

var tableNameRE = regexp.MustCompile(`^[A-Za-z0-9_$]{1,64}$`)

// New returns a Migrator for set over db. It checks the set (duplicate or
// empty IDs) and the options; it does not touch the database.
func New(db *sql.DB, set patch.Set, opts ...Option) (*Migrator, error) {
	if db == nil {
		return nil, fmt.Errorf("migrate: no database handle given")
	}
	if err := set.Validate(); err != nil {
		return nil, fmt.Errorf("migrate: invalid patch set: %w", err)
	}
	m := &Migrator{db: db, set: set, patchTable: DefaultPatchTable, runTable: DefaultRunTable,
		pid: os.Getpid(), now: time.Now}
	for _, o := range opts {
		o(m)
	}
	for _, t := range []string{m.patchTable, m.runTable} {
		if !tableNameRE.MatchString(t) {
			return nil, fmt.Errorf("migrate: log table name %q: use 1 to 64 letters, digits, _ or $", t)
		}
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.toolVersion == "" {
		m.toolVersion = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			m.toolVersion = bi.Main.Version
		}
	}
	m.host, _ = os.Hostname()
	return m, nil
}

// State is a patch's state in the log.
type State string

// States of a patch. Pending has no log row (or a row reset by Mark).
const (
	StatePending State = "pending"
	StateRunning State = "running" // started and not finished: a run died or is running now
	StateDone    State = "done"
	StateFailed  State = "failed"
	StateSkipped State = "skipped" // marked done by Mark without running
)

// applied reports whether a patch in state s does not run again.
func (s State) applied() bool { return s == StateDone || s == StateSkipped }
