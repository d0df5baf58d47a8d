package cli

import (
	"context"
	"database/sql"
	"time"

	"github.com/migtest/migtest/migtest/config"
	"github.com/migtest/migtest/migtest/dsn"
	"github.com/migtest/migtest/migtest/runbook"
)

// resolveTarget finds the database to work on from --dsn, --dsn-file,
// MIGRATE_DSN or --site-config, with the settings every command wants.
func (a *app) resolveTarget() (runbook.Target, error) {
	var t runbook.Target
	switch {
	case a.siteConfig != "":
		st, err := runbook.SiteConfig(a.siteConfig)
		if err != nil {
			return t, err
		}
		a.secrets.add(st.Config.Passwd)
		t = st
	default:
		s := a.dsn
		if s == "" {
			s = config.Get(config.EnvMigrateDSN)
		}
		if s == "" {
			return t, usageErrorf("no database given: pass --dsn user:pass@tcp(host:3306)/db, set MIGRATE_DSN, or pass --site-config sites/SITE/site_config.json")
		}
		a.secrets.addDSN(s) // a sites file's DSN is not on the command line
		cfg, err := dsn.Parse(s)
		if err != nil {
			return t, usageErrorf("invalid --dsn: %v", err)
		}
		t = runbook.Target{Config: cfg}
	}
	if err := t.Validate(); err != nil {
		return t, err
	}
	cfg := t.Config
	cfg.ParseTime = true
	cfg.MultiStatements = false
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	return t, nil
}

// openTarget resolves the target from the flags and opens it.
func (a *app) openTarget(ctx context.Context) (*sql.DB, runbook.Target, error) {
	t, err := a.resolveTarget()
	if err != nil {
		return nil, t, err
	}
	db, err := t.Open(ctx)
	if err != nil {
		return nil, t, err
	}
	return db, t, nil
}

// runbook opens the target and a Runbook over the binary's patch set, with
// the binary's logger and progress display. The caller closes the pool.
func (a *app) runbook(ctx context.Context) (*runbook.Runbook, *sql.DB, error) {
	db, t, err := a.openTarget(ctx)
	if err != nil {
		return nil, nil, err
	}
	rb, err := runbook.New(db, t, a.runbookOptions())
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return rb, db, nil
}

// runbookOptions are the Options every command's Runbook gets.
func (a *app) runbookOptions() runbook.Options {
	return runbook.Options{Set: a.set, Logger: a.log, ToolVersion: Version, Rows: a.progress("rows"), Bytes: a.progress("bytes")}
}

// redactError removes passwords from an error text.
func redactError(s string) string {
	return dsn.Redact(s)
}
