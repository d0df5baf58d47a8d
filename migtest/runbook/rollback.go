package runbook

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/migtest/migtest/migtest/migrate"
)

// RollbackOptions configure Rollback.
type RollbackOptions struct {
	// Backup is the backup to restore (default: the one the last up took).
	Backup string
	// SafetyBackupDir is where the current state is backed up first
	// (default: the directory of the backup being restored, where up keeps
	// its backups).
	SafetyBackupDir string
	// NoSafetyBackup skips the safety backup.
	NoSafetyBackup bool
	// Touched restores only the tables the backup's run wrote to and drops
	// those it created, instead of the whole database.
	Touched bool
	// Confirm, when set, is asked before anything changes, with the backup
	// chosen; an error from it stops the rollback.
	Confirm func(backup string) error
}

// RollbackResult is what Rollback did.
type RollbackResult struct {
	// Backup is the backup restored.
	Backup string
	// SafetyBackup is the backup of the state before the rollback, or "".
	SafetyBackup string
	// Tables are the tables restored with Touched (nil otherwise).
	Tables []string
}

// Rollback restores a backup into the database under the migration lock
// (never under a running up): the last up's backup or o.Backup, after a
// safety backup of the current state. The patch log comes back with the
// data; the run log keeps its history and records the rollback. The result
// is returned also with an error, so a caller can name the safety backup.
func (r *Runbook) Rollback(ctx context.Context, o RollbackOptions) (*RollbackResult, error) {
	m, err := r.Migrator()
	if err != nil {
		return nil, err
	}
	res := &RollbackResult{Backup: o.Backup}
	if res.Backup == "" {
		run, err := m.LastBackup(ctx)
		if err != nil {
			return nil, err
		}
		if run == nil {
			return nil, inputErrorf("no backup recorded by a previous up on %s; name one with --backup FILE", r.target.Database())
		}
		res.Backup = run.BackupFile
		r.log.Info("rolling back to the backup of run", "run_id", run.RunID, "started", run.Started, "backup", res.Backup)
	}
	if _, err := os.Stat(res.Backup); err != nil {
		return nil, inputErrorf("backup %s cannot be read: %v; name an existing backup with --backup FILE", res.Backup, err)
	}
	if o.Confirm != nil {
		if err := o.Confirm(res.Backup); err != nil {
			return nil, err
		}
	}
	unlock, err := m.Lock(ctx, 0)
	if err != nil {
		return nil, err
	}
	defer unlock()
	history, err := m.Runs(ctx)
	if err != nil {
		return nil, err
	}
	if !o.NoSafetyBackup {
		dir := o.SafetyBackupDir
		if dir == "" {
			dir = filepath.Dir(res.Backup)
		}
		res.SafetyBackup, _, err = r.backupInto(ctx, dir, r.target.SiteName()+"-before-rollback")
		if err != nil {
			return nil, fmt.Errorf("safety backup before rollback failed, nothing was changed: %w", err)
		}
		r.log.Info("safety backup of the state before the rollback", "file", res.SafetyBackup)
	}
	started := time.Now().UTC()
	if err := r.restoreBackup(ctx, o.Touched, res); err != nil {
		return res, err
	}
	note := "restored " + res.Backup
	if res.SafetyBackup != "" {
		note += "; safety backup " + res.SafetyBackup
	}
	if err := m.AddRuns(ctx, append(history, migrate.Run{Kind: "rollback", State: "done", Started: started,
		Finished: time.Now().UTC(), BackupFile: res.Backup, Note: note})...); err != nil {
		r.log.Warn("restored, but could not record the rollback in the run log", "err", err)
	}
	return res, nil
}

// restoreBackup restores res.Backup, whole or only the touched tables.
func (r *Runbook) restoreBackup(ctx context.Context, touched bool, res *RollbackResult) error {
	if touched {
		restored, err := r.rollbackTouched(ctx, res.Backup)
		if err != nil {
			return fmt.Errorf("rollback --touched: %w; the safety backup holds the state before the rollback", err)
		}
		res.Tables = restored
		return nil
	}
	_, err := restoreFile(ctx, r.target, RestoreOptions{File: res.Backup, Force: true, Logger: r.log, Bytes: r.opts.Bytes, safety: res.SafetyBackup})
	if err != nil {
		return fmt.Errorf("rollback: %w; the safety backup holds the state before the rollback", err)
	}
	return nil
}
