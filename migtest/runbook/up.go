package runbook

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/internal/fsutil"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/snapshot"
)

// UpOptions configure Up.
type UpOptions struct {
	// NoBackup skips the backup before the run.
	NoBackup bool
	// BackupDir is where the backup before the run goes (default "backups").
	BackupDir string
	// Report, when set, is a JSON file the run's Report is written to (mode 0600).
	Report string
	// NoVerify skips the post-migration checks.
	NoVerify bool
	// SkipFailing records a failed patch and goes on with the next.
	SkipFailing bool
	// Only runs just this patch ID (if not applied yet).
	Only string
	// Wait is how long to wait for another run's lock (0: fail at once).
	Wait time.Duration
	// Maintenance, when set, is a Frappe site_config.json whose
	// maintenance_mode and pause_scheduler are set for the run and always
	// put back after it.
	Maintenance string
	// KillIdleBlockers, when positive, kills sessions idle in an open
	// transaction longer than this before each DDL.
	KillIdleBlockers time.Duration
	// LockWaitTimeout bounds each DDL's wait for a metadata lock
	// (lock_wait_timeout; 0: the server's setting).
	LockWaitTimeout time.Duration
	// RunID names the run (default: a new one).
	RunID string
}

// Validate reports what is wrong with o, or nil.
func (o UpOptions) Validate() error {
	if o.NoBackup && o.BackupDir != "" {
		return inputErrorf("--no-backup and --backup-dir contradict each other: drop one")
	}
	if o.Wait < 0 || o.KillIdleBlockers < 0 || o.LockWaitTimeout < 0 {
		return inputErrorf("--wait, --kill-idle-blockers and --lock-wait-timeout take a positive duration, e.g. 5m")
	}
	if o.Report != "" {
		if err := CheckWritableDir(filepath.Dir(o.Report)); err != nil {
			return inputErrorf("--report %s: %v", o.Report, err)
		}
	}
	return nil
}

// Report is the migration report of Up (up --report).
type Report struct {
	Site          string            `json:"site"`
	Database      string            `json:"database"`
	ServerVersion string            `json:"server_version"`
	ToolVersion   string            `json:"tool_version"`
	Started       time.Time         `json:"started"`
	Finished      time.Time         `json:"finished"`
	Status        string            `json:"status"` // done, nothing, failed or verify-failed
	Backup        string            `json:"backup_file,omitempty"`
	BackupSHA256  string            `json:"backup_sha256,omitempty"`
	Run           *migrate.UpResult `json:"run"`
	TablesBefore  int               `json:"tables_before"`
	TablesAfter   int               `json:"tables_after"`
	RowsBefore    map[string]int64  `json:"rows_before,omitempty"`
	RowsAfter     map[string]int64  `json:"rows_after,omitempty"`
	Changes       []string          `json:"changes,omitempty"`
	Verify        Results           `json:"verify,omitempty"`
	Issues        []string          `json:"issues"`
}

// Up takes the migration lock, backs the database up when something is
// pending (unless NoBackup), runs the pending patches in order, verifies
// (unless NoVerify) and writes the report. It records, beside the backup,
// the tables the patches wrote to, for Rollback with Touched. The report
// is returned also with an error. A *migrate.LockedError means another run
// holds the lock; a *VerifyError a failed verification.
func (r *Runbook) Up(ctx context.Context, o UpOptions) (*Report, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if !o.NoBackup && o.BackupDir == "" {
		o.BackupDir = "backups"
	}
	if o.RunID == "" {
		o.RunID = migrate.NewRunID()
	}
	db, closeDB, err := r.upPool(ctx, o.LockWaitTimeout)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	// Every line of the run carries its run_id, once.
	rr := *r
	if _, ok := r.log.Handler().(runIDHandler); !ok {
		rr.log = RunLogger(r.log, o.RunID)
	}
	return rr.up(ctx, db, o)
}

// up is Up on its pool and with the run's logger.
func (r *Runbook) up(ctx context.Context, db *sql.DB, o UpOptions) (*Report, error) {
	var touched touchedTables
	guard := DDLGuard(db, r.log, o.KillIdleBlockers)
	m, err := r.migratorOn(db, r.log, migrate.WithProgress(r.opts.Rows), migrate.WithStatementHook(func(ctx context.Context, q string) error {
		_ = touched.hook(ctx, q)
		return guard(ctx, q)
	}))
	if err != nil {
		return nil, err
	}
	if o.Maintenance != "" {
		leave, err := r.enterMaintenance(o.Maintenance)
		if err != nil {
			return nil, err
		}
		defer leave()
	}
	return r.run(ctx, m, db, o, &touched)
}

// run is Up after the setup: the run itself, the touched record, the
// checks and the report.
func (r *Runbook) run(ctx context.Context, m *migrate.Migrator, db *sql.DB, o UpOptions, touched *touchedTables) (*Report, error) {
	t := r.target
	rep := &Report{Site: t.SiteName(), Database: t.Database(), ToolVersion: r.opts.version(), Started: time.Now().UTC(), Issues: []string{}}
	_ = db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&rep.ServerVersion)
	before, err := Inspect(ctx, db, t.Database())
	if err != nil {
		return nil, err
	}
	opts := migrate.UpOptions{SkipFailing: o.SkipFailing, Only: o.Only, Wait: o.Wait, RunID: o.RunID}
	if !o.NoBackup {
		if err := CheckWritableDir(o.BackupDir); err != nil {
			return nil, inputErrorf("--backup-dir %s: %v", o.BackupDir, err)
		}
		opts.BeforeRun = func(ctx context.Context, pending []migrate.Planned) (string, string, error) {
			r.log.Info("backing up before the run", "patches", len(pending), "dir", o.BackupDir)
			return r.backupInto(ctx, o.BackupDir, t.SiteName())
		}
	}
	res, runErr := m.Up(ctx, opts)
	rep.Run = res
	rep.Backup, rep.BackupSHA256 = opts.BackupFile, opts.BackupSHA256
	if res != nil {
		// The backup file is recorded by the runner; read it back for the report.
		if st, err := m.Status(context.WithoutCancel(ctx)); err == nil && st.LastRun != nil && st.LastRun.RunID == res.RunID {
			rep.Backup, rep.BackupSHA256 = st.LastRun.BackupFile, st.LastRun.BackupSHA256
		}
	}
	if rep.Backup != "" {
		if err := touched.save(rep.Backup, o.RunID); err != nil {
			r.log.Warn("could not record the touched tables beside the backup; rollback --touched will not be possible", "err", err)
		}
	}
	var verifyErr error
	if runErr == nil && res != nil && res.State != "nothing" && !o.NoVerify {
		rep.Verify, verifyErr = verifyChecks(ctx, db, t.Database())
	}
	if after, err := Inspect(context.WithoutCancel(ctx), db, t.Database()); err == nil {
		rep.fill(before, after)
	}
	rep.finish(res, runErr, verifyErr)
	if o.Report != "" {
		if err := fsutil.WriteJSONAtomic(o.Report, rep, "  ", 0o600); err != nil {
			return rep, errors.Join(runErr, fmt.Errorf("write report: %w", err))
		}
	}
	if runErr != nil {
		if lostConnection(runErr) {
			runErr = fmt.Errorf("%w; the connection to the server was lost: when it answers again, run migrate up again (done patches and committed chunks are kept, the interrupted patch resumes)", runErr)
		}
		return rep, runErr
	}
	return rep, verifyErr
}

// upPool is the pool up runs on: the runbook's, or with lockWait a pool of
// its own whose sessions have lock_wait_timeout set (unless the DSN sets it).
func (r *Runbook) upPool(ctx context.Context, lockWait time.Duration) (*sql.DB, func(), error) {
	cfg := r.target.Config
	if _, set := cfg.Params["lock_wait_timeout"]; lockWait <= 0 || set {
		return r.db, func() {}, nil
	}
	cfg = cfg.Clone()
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["lock_wait_timeout"] = fmt.Sprint(int(lockWait.Seconds()))
	db, err := Target{Config: cfg, Site: r.target.Site}.Open(ctx)
	if err != nil {
		return nil, nil, err
	}
	return db, func() { db.Close() }, nil
}

// enterMaintenance sets maintenance mode and returns the function that puts it back.
func (r *Runbook) enterMaintenance(path string) (func(), error) {
	restore, err := EnterMaintenance(path)
	if err != nil {
		return nil, err
	}
	r.log.Info("maintenance mode on for the run", "site_config", path)
	return func() {
		if err := restore(); err != nil {
			r.log.Error("could not put back maintenance_mode and pause_scheduler; fix the site config by hand", "site_config", path, "err", err)
			return
		}
		r.log.Info("maintenance mode put back to its previous values", "site_config", path)
	}, nil
}

// finish sets the report's end time, status and issues.
func (rep *Report) finish(res *migrate.UpResult, runErr, verifyErr error) {
	rep.Finished = time.Now().UTC()
	rep.Status = "done"
	switch {
	case runErr != nil:
		rep.Status = "failed"
		rep.Issues = append(rep.Issues, oneLine(runErr.Error()))
	case verifyErr != nil:
		rep.Status = "verify-failed"
		rep.Issues = append(rep.Issues, oneLine(verifyErr.Error()))
	case res != nil && res.State == "nothing":
		rep.Status = "nothing"
	}
}

// fill records tables and row counts before and after, and the changes.
func (rep *Report) fill(before, after *snapshot.Snapshot) {
	rep.TablesBefore, rep.TablesAfter = len(before.Tables), len(after.Tables)
	rep.RowsBefore, rep.RowsAfter = before.RowCounts(), after.RowCounts()
	for _, l := range strings.Split(strings.TrimSpace(snapshot.Compare(before, after).String()), "\n") {
		if l != "" {
			rep.Changes = append(rep.Changes, l)
		}
	}
}

// lostConnection reports whether err says that the connection to the
// server went away (the server died, restarted, or killed the session).
func lostConnection(err error) bool {
	var me *mysql.MySQLError
	var oe *net.OpError // not net.Error: a syscall.Errno such as ENOSPC is one too
	switch {
	case errors.Is(err, mysql.ErrInvalidConn), errors.Is(err, driver.ErrBadConn), errors.As(err, &oe):
		return true
	case errors.As(err, &me):
		return me.Number == 1927 || me.Number == 2006 || me.Number == 2013 // killed, gone away, lost
	}
	return false
}

// RunLogger returns log with the attribute run_id=runID on every line, and
// only once: a line that names run_id itself (the runner's first and last
// line of a run) keeps the logger's. Up uses it unless its logger is one
// already; a caller that logs lines of its own for the run (progress) can
// make it first and pass it in Options.Logger, with UpOptions.RunID.
func RunLogger(log *slog.Logger, runID string) *slog.Logger {
	return slog.New(runIDHandler{log.Handler().WithAttrs([]slog.Attr{slog.String("run_id", runID)})})
}

// runIDHandler drops a record's own run_id attribute: the logger of a run
// carries it already.
type runIDHandler struct{ slog.Handler }

// Handle drops the record's own run_id attributes.
func (h runIDHandler) Handle(ctx context.Context, rec slog.Record) error {
	dup := false
	rec.Attrs(func(a slog.Attr) bool {
		dup = dup || a.Key == "run_id"
		return !dup
	})
	if !dup {
		return h.Handler.Handle(ctx, rec)
	}
	out := slog.NewRecord(rec.Time, rec.Level, rec.Message, rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key != "run_id" {
			out.AddAttrs(a)
		}
		return true
	})
	return h.Handler.Handle(ctx, out)
}

// WithAttrs keeps the wrapper around the new handler.
func (h runIDHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return runIDHandler{h.Handler.WithAttrs(as)}
}

// WithGroup keeps the wrapper around the new handler.
func (h runIDHandler) WithGroup(name string) slog.Handler {
	return runIDHandler{h.Handler.WithGroup(name)}
}

// oneLine folds a message onto one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
