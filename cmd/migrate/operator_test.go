package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/server/servertest"
)

// TestOperatorDetails: what a new operator tripped over. A rollback
// without --backup-dir keeps its safety backup beside the backup it
// restores (not in ./backups of wherever it ran) and says where; its log
// does not claim a --force nobody gave; status then shows the rollback as
// the last run; verify lists the schema differences after its colon; diff
// and status end with a newline.
func TestOperatorDetails(t *testing.T) {
	d, _ := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN}
	run(t, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
	run(t, dir, env, "snapshot", "--out", "before.snap").must(t, 0)
	run(t, dir, env, "up", "--backup-dir", "kept").must(t, 0)
	run(t, dir, env, "up", "--backup-dir", "kept").must(t, 0) // a no-op up: the last up before the rollback

	st := run(t, dir, env, "status").must(t, 0)
	if !strings.HasSuffix(st.stdout, "\n") {
		t.Errorf("status output does not end with a newline: %q", st.stdout)
	}
	v := run(t, dir, env, "verify", "--snapshot", "before.snap").must(t, 4)
	if !strings.Contains(v.stdout, "schema matches snapshot") || !strings.Contains(v.stdout, "+ column tabCustomer.custom_region") {
		t.Errorf("verify does not list the schema differences:\n%s", v.stdout)
	}
	if strings.HasSuffix(strings.TrimSpace(v.stdout+v.stderr), ":") {
		t.Errorf("verify ends with a colon and nothing after it:\n%s%s", v.stdout, v.stderr)
	}
	df := run(t, dir, env, "diff", "before.snap", d.DSN).must(t, 4)
	if !strings.HasSuffix(df.stdout, "\n") || !strings.Contains(df.stdout, "custom_region") {
		t.Errorf("diff output does not end with a newline or lacks the change: %q", df.stdout)
	}

	rb := run(t, dir, env, "rollback", "--yes").must(t, 0)
	if _, err := os.Stat(filepath.Join(dir, "backups")); err == nil {
		t.Errorf("rollback without --backup-dir wrote into ./backups of its working directory")
	}
	safety, _ := filepath.Glob(filepath.Join(dir, "kept", "*-before-rollback-*.sql.gz"))
	if len(safety) != 1 || !strings.Contains(rb.stdout, "safety backup: "+safety[0]) {
		t.Errorf("the safety backup is not beside the restored one, or not named: %v\n%s", safety, rb.stdout)
	}
	if strings.Contains(rb.stderr, "--force") {
		t.Errorf("the rollback log mentions --force, which was not given:\n%s", rb.stderr)
	}
	st = run(t, dir, env, "status").must(t, 0)
	if !strings.Contains(st.stdout, "(rollback): done") {
		t.Errorf("status after a rollback does not show it as the last run:\n%s", st.stdout)
	}
	run(t, dir, env, "diff", "before.snap", d.DSN).must(t, 0)
}
