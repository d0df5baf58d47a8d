package cli

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/migrate"
)

type upFlags struct {
	asJSON      bool
	dryRun      bool
	skipFailing bool
	only        string
	wait        time.Duration
	noBackup    bool
	backupDir   string
	report      string
	noVerify    bool
	sites       siteFlags
	maintenance string
	killIdle    time.Duration
	lockWait    time.Duration
	topo        topoFlags
}

func (a *app) upCommand() *cobra.Command {
	var f upFlags
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Back up, then run the pending patches under a lock, verify and report",
		Long: `up takes the database's migration lock, backs the database up (unless
--no-backup), runs the pending patches in order, recording each in the patch
log, verifies the database and writes a report. A failed patch stops the run
(exit 1) unless --skip-failing; the next up retries it. Another run holding the
lock makes up exit 3 at once, or wait with --wait.`,
		Example: `  migrate up --dsn 'user:pass@tcp(db:3306)/site1' --backup-dir /var/backups/migrate --report up.json
  migrate up --site-config sites/site1/site_config.json --only v1_0.add_custom_region
  migrate up --dry-run
  migrate up --sites sites.txt --concurrency 4 --backup-dir /var/backups/migrate --report up.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.dryRun {
				return a.plan(cmd.Context(), f.asJSON)
			}
			if f.noBackup && cmd.Flags().Changed("backup-dir") {
				return usageErrorf("--no-backup and --backup-dir contradict each other: drop one")
			}
			if f.sites.file != "" {
				return a.forSites(cmd.Context(), f.sites, func(ctx context.Context, sa *app, label string) error {
					sf := f
					sf.report = siteReport(f.report, label)
					return sa.up(ctx, sf)
				})
			}
			return a.up(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fl.BoolVar(&f.dryRun, "dry-run", false, "show what would run (same as plan) and change nothing")
	fl.BoolVar(&f.skipFailing, "skip-failing", false, "record a failed patch and go on with the next; exit 1 at the end")
	fl.StringVar(&f.only, "only", "", "run just this patch `ID` (if not applied yet)")
	fl.DurationVar(&f.wait, "wait", 0, "wait up to this long for another run's lock instead of exiting 3")
	fl.BoolVar(&f.noBackup, "no-backup", false, "do not back up before running patches")
	fl.StringVar(&f.backupDir, "backup-dir", "backups", "directory for the backup taken before the run")
	fl.StringVar(&f.report, "report", "", "write a JSON report of the run to `FILE` (mode 0600)")
	fl.BoolVar(&f.noVerify, "no-verify", false, "skip the post-migration checks")
	fl.StringVar(&f.maintenance, "maintenance", "", "set maintenance_mode and pause_scheduler in this site_config.json `FILE` for the run; the previous values are always put back")
	fl.DurationVar(&f.killIdle, "kill-idle-blockers", 0, "before each DDL, kill sessions idle in an open transaction for longer than this (off by default)")
	fl.DurationVar(&f.lockWait, "lock-wait-timeout", 5*time.Minute, "longest a DDL waits for a metadata lock (lock_wait_timeout) before it fails naming the table")
	f.sites.register(cmd)
	f.topo.register(cmd)
	return cmd
}

// upReport is the migration report written by up --report.
type upReport struct {
	Site          string            `json:"site"`
	Database      string            `json:"database"`
	ServerVersion string            `json:"server_version"`
	ToolVersion   string            `json:"tool_version"`
	Started       time.Time         `json:"started"`
	Finished      time.Time         `json:"finished"`
	Status        string            `json:"status"`
	Backup        string            `json:"backup_file,omitempty"`
	BackupSHA256  string            `json:"backup_sha256,omitempty"`
	Run           *migrate.UpResult `json:"run"`
	TablesBefore  int               `json:"tables_before"`
	TablesAfter   int               `json:"tables_after"`
	RowsBefore    map[string]int64  `json:"rows_before,omitempty"`
	RowsAfter     map[string]int64  `json:"rows_after,omitempty"`
	Changes       []string          `json:"changes,omitempty"`
	Verify        []checkResult     `json:"verify,omitempty"`
	Issues        []string          `json:"issues"`
}

func (a *app) up(ctx context.Context, f upFlags) error {
	if f.report != "" {
		if err := checkWritableDir(filepath.Dir(f.report)); err != nil {
			return usageErrorf("--report %s: %v", f.report, err)
		}
	}
	runID := migrate.NewRunID()
	a.log = a.log.With("run_id", runID)
	if f.lockWait > 0 {
		a.params = map[string]string{"lock_wait_timeout": fmt.Sprint(int(f.lockWait.Seconds()))}
	}
	var guard *ddlGuardHook
	var touched touchedTables
	topoOpts, closeReplicas, err := f.topo.open(ctx, a)
	if err != nil {
		return err
	}
	defer closeReplicas()
	m, db, t, err := a.migrator(ctx, append(topoOpts, migrate.WithProgress(a.progressFunc()), migrate.WithStatementHook(func(ctx context.Context, q string) error {
		_ = touched.hook(ctx, q)
		return guard.run(ctx, q)
	}))...)
	if err != nil {
		return err
	}
	defer db.Close()
	guard = &ddlGuardHook{hook: a.ddlGuard(db, f.killIdle)}
	if f.maintenance != "" {
		restore, err := enterMaintenance(f.maintenance)
		if err != nil {
			return err
		}
		a.log.Info("maintenance mode on for the run", "site_config", f.maintenance)
		defer func() {
			if err := restore(); err != nil {
				a.log.Error("could not put back maintenance_mode and pause_scheduler; fix the site config by hand", "site_config", f.maintenance, "err", err)
				return
			}
			a.log.Info("maintenance mode put back to its previous values", "site_config", f.maintenance)
		}()
	}

	rep := &upReport{Site: t.site, Database: t.name, ToolVersion: Version, Started: time.Now().UTC(), Issues: []string{}}
	_ = db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&rep.ServerVersion)
	before, err := a.inspect(ctx, db, t.name)
	if err != nil {
		return err
	}
	opts := migrate.UpOptions{SkipFailing: f.skipFailing, Only: f.only, Wait: f.wait, RunID: runID}
	if !f.noBackup {
		if err := checkWritableDir(f.backupDir); err != nil {
			return usageErrorf("--backup-dir %s: %v", f.backupDir, err)
		}
		opts.BeforeRun = func(ctx context.Context, pending []migrate.Planned) (string, string, error) {
			a.log.Info("backing up before the run", "patches", len(pending), "dir", f.backupDir)
			return a.backupBefore(ctx, db, t, f.backupDir)
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
		if err := touched.save(rep.Backup, runID); err != nil {
			a.log.Warn("could not record the touched tables beside the backup; rollback --touched will not be possible", "err", err)
		}
	}
	var verifyErr error
	if runErr == nil && res != nil && res.State != "nothing" && !f.noVerify {
		rep.Verify, verifyErr = a.verifyChecks(ctx, db, t.name)
	}
	after, err := a.inspect(context.WithoutCancel(ctx), db, t.name)
	if err == nil {
		rep.fill(before, after)
	}
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
	if f.report != "" {
		if err := writeFileAtomic(f.report, rep); err != nil {
			return errors.Join(runErr, fmt.Errorf("write report: %w", err))
		}
	}
	if f.asJSON {
		_ = writeJSON(a.stdout, rep)
	} else if runErr == nil || (res != nil && res.State != "nothing") {
		printUp(a.stdout, res)
		for _, c := range rep.Changes {
			fmt.Fprintln(a.stdout, "  "+c)
		}
	}
	if !f.asJSON && rep.Backup != "" {
		fmt.Fprintf(a.stdout, "backup: %s (rollback with: migrate rollback --backup %s)\n", rep.Backup, rep.Backup)
	}
	if runErr != nil {
		if lostConnection(runErr) {
			runErr = fmt.Errorf("%w; the connection to the server was lost: when it answers again, run migrate up again (done patches and committed chunks are kept, the interrupted patch resumes)", runErr)
		}
		return engineExit(runErr)
	}
	if verifyErr != nil {
		return withCode(ExitMismatch, verifyErr)
	}
	return nil
}

// checkWritableDir says why dir cannot take new files, or nil.
func checkWritableDir(dir string) error {
	if dir == "" {
		dir = "."
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create the directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".migtest-probe-*")
	if err != nil {
		return fmt.Errorf("the directory is not writable: %w; choose another or fix its permissions", err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// ddlGuardHook lets the statement hook be built after the pool it queries.
type ddlGuardHook struct {
	hook func(context.Context, string) error
}

func (g *ddlGuardHook) run(ctx context.Context, q string) error {
	if g == nil || g.hook == nil {
		return nil
	}
	return g.hook(ctx, q)
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
