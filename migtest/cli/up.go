package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/runbook"
)

// upFlags are the flags of up.
type upFlags struct {
	opts   runbook.UpOptions
	asJSON bool
	dryRun bool
	sites  siteFlags
	topo   topoFlags
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
			if !cmd.Flags().Changed("backup-dir") && f.opts.NoBackup {
				f.opts.BackupDir = ""
			}
			if err := f.opts.Validate(); err != nil {
				return err
			}
			if f.sites.file != "" {
				return a.forSites(cmd.Context(), f.sites, func(ctx context.Context, sa *app, label string) error {
					sf := f
					sf.opts.Report = siteReport(f.opts.Report, label)
					return sa.up(ctx, sf)
				})
			}
			return a.up(cmd.Context(), f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.asJSON, "json", false, "print the result as JSON")
	fl.BoolVar(&f.dryRun, "dry-run", false, "show what would run (same as plan) and change nothing")
	fl.BoolVar(&f.opts.SkipFailing, "skip-failing", false, "record a failed patch and go on with the next; exit 1 at the end")
	fl.StringVar(&f.opts.Only, "only", "", "run just this patch `ID` (if not applied yet)")
	fl.DurationVar(&f.opts.Wait, "wait", 0, "wait up to this long for another run's lock instead of exiting 3")
	fl.BoolVar(&f.opts.NoBackup, "no-backup", false, "do not back up before running patches")
	fl.StringVar(&f.opts.BackupDir, "backup-dir", "backups", "directory for the backup taken before the run")
	fl.StringVar(&f.opts.Report, "report", "", "write a JSON report of the run to `FILE` (mode 0600)")
	fl.BoolVar(&f.opts.NoVerify, "no-verify", false, "skip the post-migration checks")
	fl.StringVar(&f.opts.Maintenance, "maintenance", "", "set maintenance_mode and pause_scheduler in this site_config.json `FILE` for the run; the previous values are always put back")
	fl.DurationVar(&f.opts.KillIdleBlockers, "kill-idle-blockers", 0, "before each DDL, kill sessions idle in an open transaction for longer than this (off by default)")
	fl.DurationVar(&f.opts.LockWaitTimeout, "lock-wait-timeout", 5*time.Minute, "longest a DDL waits for a metadata lock (lock_wait_timeout) before it fails naming the table")
	f.sites.register(cmd)
	f.topo.register(cmd)
	return cmd
}

// up runs one site's up and prints its outcome.
func (a *app) up(ctx context.Context, f upFlags) error {
	if f.opts.RunID == "" {
		f.opts.RunID = migrate.NewRunID()
	}
	a.log = runbook.RunLogger(a.log, f.opts.RunID) // the progress lines too
	topoOpts, closeReplicas, err := f.topo.open(ctx, a)
	if err != nil {
		return err
	}
	defer closeReplicas()
	rb, db, err := a.runbook(ctx, topoOpts...)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := rb.Up(ctx, f.opts)
	if rep == nil {
		return err
	}
	if f.asJSON {
		_ = writeJSON(a.stdout, rep)
	} else if res := rep.Run; err == nil || (res != nil && res.State != "nothing") {
		printUp(a.stdout, res)
		for _, c := range rep.Changes {
			fmt.Fprintln(a.stdout, "  "+c)
		}
	}
	if !f.asJSON && rep.Backup != "" {
		fmt.Fprintf(a.stdout, "backup: %s (rollback with: migrate rollback --backup %s)\n", rep.Backup, rep.Backup)
	}
	return err
}
