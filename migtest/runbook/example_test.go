package runbook_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/runbook"
)

// migrateSafely is the runbook in a dozen lines: check, up with a backup,
// verify, and roll back to that backup when up or verify fails.
func migrateSafely(ctx context.Context, target runbook.Target, set patch.Set, backupDir string) error {
	db, err := target.Open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	rb, err := runbook.New(db, target, runbook.Options{Set: set})
	if err != nil {
		return err
	}
	if res, err := rb.Check(ctx, runbook.CheckOptions{BackupDir: backupDir}); err != nil || len(res.Failed()) > 0 {
		return fmt.Errorf("preflight: %v %w", res.Failed(), err)
	}
	report, err := rb.Up(ctx, runbook.UpOptions{BackupDir: backupDir})
	if err == nil {
		_, err = rb.Verify(ctx, runbook.VerifyOptions{})
	}
	if err != nil && report != nil && report.Backup != "" {
		_, rerr := rb.Rollback(ctx, runbook.RollbackOptions{Backup: report.Backup})
		return errors.Join(err, rerr)
	}
	return err
}

// The runbook from Go: a database from a DSN (or runbook.SiteConfig),
// then check, up with a backup, verify, and a rollback on failure.
func Example() {
	cfg, err := mysql.ParseDSN(os.Getenv("MIGRATE_DSN")) // user:pass@tcp(db:3306)/site1
	if err != nil {
		log.Fatal(err)
	}
	set := patch.Set{Patches: []patch.Patch{{ID: "v1_0.add_region", Run: func(ctx context.Context, pc *patch.Context) error {
		return pc.AddColumn(ctx, "tabCustomer", "region", "varchar(140) NULL")
	}}}}
	if err := migrateSafely(context.Background(), runbook.Target{Config: cfg}, set, "/var/backups/migrate"); err != nil {
		log.Fatal(err)
	}
}
