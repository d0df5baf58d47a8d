package runbook_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/runbook"
	"github.com/migtest/migtest/migtest/server/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// newTarget is a fresh database holding a small customer table.
func newTarget(t *testing.T) (runbook.Target, func(q string) int) {
	t.Helper()
	d, db := servertest.NewDatabase(t)
	for _, q := range []string{
		"CREATE TABLE tabCustomer (name varchar(140) PRIMARY KEY, customer_name varchar(140)) ENGINE=InnoDB",
		"INSERT INTO tabCustomer VALUES ('C1', 'Ada'), ('C2', 'Grace'), ('C3', 'Edsger')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := mysql.ParseDSN(d.DSN)
	if err != nil {
		t.Fatal(err)
	}
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.QueryRow(q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
	return runbook.Target{Config: cfg}, count
}

var addRegion = patch.Patch{ID: "v1_0.add_region", Run: func(ctx context.Context, pc *patch.Context) error {
	if err := pc.AddColumn(ctx, "tabCustomer", "region", "varchar(140) NULL"); err != nil {
		return err
	}
	_, err := pc.DB.Exec(ctx, "UPDATE tabCustomer SET region = 'North'")
	return err
}}

// TestExampleRunbook runs the code of Example against a real server: a
// patch set that succeeds is applied and verified; one whose second patch
// fails is rolled back to the backup up took, leaving the table as it was.
func TestExampleRunbook(t *testing.T) {
	ctx := context.Background()
	t.Run("success", func(t *testing.T) {
		target, count := newTarget(t)
		dir := t.TempDir()
		if err := migrateSafely(ctx, target, patch.Set{Patches: []patch.Patch{addRegion}}, dir); err != nil {
			t.Fatal(err)
		}
		if n := count("SELECT COUNT(*) FROM tabCustomer WHERE region = 'North'"); n != 3 {
			t.Errorf("%d customers in North after up, want 3", n)
		}
		if backups, _ := filepath.Glob(filepath.Join(dir, "*.sql.gz")); len(backups) != 1 {
			t.Errorf("backups in %s: %v, want the one up took", dir, backups)
		}
	})
	t.Run("failure rolls back", func(t *testing.T) {
		target, count := newTarget(t)
		broken := patch.Patch{ID: "v1_0.broken", Run: func(ctx context.Context, pc *patch.Context) error {
			if _, err := pc.DB.Exec(ctx, "DELETE FROM tabCustomer WHERE name = 'C1'"); err != nil {
				return err
			}
			return errors.New("the data is not what this patch expects")
		}}
		err := migrateSafely(ctx, target, patch.Set{Patches: []patch.Patch{addRegion, broken}}, t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "not what this patch expects") {
			t.Fatalf("err = %v, want the patch's error", err)
		}
		if n := count("SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tabCustomer' AND COLUMN_NAME = 'region'"); n != 0 {
			t.Error("the rollback left the column the first patch added")
		}
		if n := count("SELECT COUNT(*) FROM tabCustomer"); n != 3 {
			t.Errorf("%d customers after the rollback, want 3", n)
		}
	})
}

// TestOptionsValidate: each options struct names what is wrong with it,
// as an *InputError (exit 2 on the command line).
func TestOptionsValidate(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"up: no-backup with a dir", runbook.UpOptions{NoBackup: true, BackupDir: "x"}.Validate(), "contradict"},
		{"up: negative wait", runbook.UpOptions{Wait: -1}.Validate(), "positive duration"},
		{"up: report under a file", runbook.UpOptions{Report: filepath.Join(os.Args[0], "r.json")}.Validate(), "--report"},
		{"backup: no file", runbook.BackupOptions{}.Validate(), "--out"},
		{"restore: no file", runbook.RestoreOptions{}.Validate(), "--file"},
		{"sites: no concurrency", runbook.SitesOptions{}.Validate(), "concurrency"},
		{"check: empty table name", runbook.CheckOptions{Critical: []string{"a", " "}}.Validate(), "empty name"},
		{"target: no database", runbook.Target{Config: mysql.NewConfig()}.Validate(), "names no database"},
		{"set: duplicate IDs", runbook.Options{Set: patch.Set{Patches: []patch.Patch{addRegion, addRegion}}}.Validate(), "v1_0.add_region"},
	}
	for _, c := range cases {
		if c.err == nil || !strings.Contains(c.err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one naming %q", c.name, c.err, c.want)
		}
		var ie *runbook.InputError
		if c.name != "set: duplicate IDs" && !errors.As(c.err, &ie) {
			t.Errorf("%s: %T is not an *InputError", c.name, c.err)
		}
	}
	if err := (runbook.UpOptions{BackupDir: t.TempDir()}).Validate(); err != nil {
		t.Errorf("valid up options: %v", err)
	}
}
