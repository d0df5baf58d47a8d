package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// binary is cmd/migrate, the production binary; devBinary is cmd/migtest,
// the developer commands (rehearse, sandbox, new). TestMain builds both.
var binary, devBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "migrate-e2e-")
	if err != nil {
		panic(err)
	}
	binary, devBinary = filepath.Join(dir, "migrate"), filepath.Join(dir, "migtest")
	for bin, pkg := range map[string]string{binary: ".", devBinary: "../migtest"} {
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	if err := server.CloseShared(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the migrate binary in dir with args and returns its exit code
// and output (see runBin).
func run(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	return runBin(t, binary, dir, env, args...)
}

func (r result) must(t *testing.T, code int) result {
	t.Helper()
	if r.code != code {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
	}
	return r
}

func fixturePath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../fixtures/demo-site.sql.gz")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checksums returns CHECKSUM TABLE of every base table.
func checksums(t *testing.T, db *sql.DB, database string) map[string]int64 {
	t.Helper()
	rows, err := db.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE'", database)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	out := map[string]int64{}
	for _, n := range names {
		if strings.HasPrefix(n, "migtest_") {
			continue // the tool's own logs: compared separately
		}
		var name string
		var sum sql.NullInt64
		if err := db.QueryRow("CHECKSUM TABLE `"+strings.ReplaceAll(n, "`", "``")+"`").Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		out[n] = sum.Int64
	}
	return out
}

// TestRunbook is the operator's runbook on the demo fixture: restore →
// check → plan → up (backup, report) → verify → rollback → the database is
// exactly what it was before up.
func TestRunbook(t *testing.T) {
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN}

	run(t, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
	run(t, dir, env, "restore", "--file", fixturePath(t)).must(t, 2) // not empty, no --force
	before := checksums(t, db, d.Name)
	run(t, dir, env, "snapshot", "--out", "before.snap").must(t, 0)

	run(t, dir, env, "check", "--critical", "tabCustomer,tabSingles").must(t, 0)
	plan := run(t, dir, env, "plan").must(t, 0)
	for _, id := range []string{"v1_0.add_custom_region", "v1_0.migrate_customer_data", "v1_0.customer_profile"} {
		if !strings.Contains(plan.stdout, id) {
			t.Errorf("plan does not list %s:\n%s", id, plan.stdout)
		}
	}
	if got := checksums(t, db, d.Name); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Fatalf("plan changed the database")
	}

	up := run(t, dir, env, "--log", "migration.log", "up", "--backup-dir", "backups", "--report", "up.json").must(t, 0)
	logText, err := os.ReadFile(filepath.Join(dir, "migration.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(logText)), "\n") {
		if n := strings.Count(l, "run_id="); n != 1 {
			t.Errorf("a log line with the run ID %d times, want once: %s", n, l)
		}
	}
	var rep struct {
		Status  string `json:"status"`
		Backup  string `json:"backup_file"`
		Changes []string
		Run     struct{ Patches []struct{ ID string } }
	}
	b, err := os.ReadFile(filepath.Join(dir, "up.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Status != "done" || rep.Backup == "" || len(rep.Run.Patches) != 4 || len(rep.Changes) == 0 {
		t.Fatalf("report: status %q backup %q patches %d changes %d\n%s\n%s", rep.Status, rep.Backup, len(rep.Run.Patches), len(rep.Changes), b, up.stdout)
	}
	for _, f := range []string{filepath.Join(dir, "up.json"), rep.Backup} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	run(t, dir, env, "up").must(t, 0) // nothing pending: no second backup needed
	run(t, dir, env, "verify").must(t, 0)
	run(t, dir, env, "verify", "--snapshot", "before.snap").must(t, 4) // the schema changed
	st := run(t, dir, env, "status", "--json").must(t, 0)
	if !strings.Contains(st.stdout, "v1_0.customer_profile") {
		t.Errorf("status does not show the applied patches:\n%s", st.stdout)
	}

	run(t, dir, env, "rollback").must(t, 2) // not a terminal: needs --yes
	rb := run(t, dir, env, "rollback", "--yes", "--backup-dir", "backups").must(t, 0)
	if !strings.Contains(rb.stdout, "safety backup") {
		t.Errorf("rollback did not report its safety backup:\n%s", rb.stdout)
	}
	run(t, dir, env, "verify", "--snapshot", "before.snap").must(t, 0)
	run(t, dir, env, "diff", "before.snap", d.DSN).must(t, 0)
	if got := checksums(t, db, d.Name); fmt.Sprint(got) != fmt.Sprint(before) {
		t.Errorf("after rollback the checksums differ from before up:\nbefore %v\nafter  %v", before, got)
	}
	// The patch log matches the data again; the run log kept its history.
	var applied, ups, rollbacks int
	_ = db.QueryRow("SELECT COUNT(*) FROM migtest_patch_log WHERE status = 'done'").Scan(&applied)
	_ = db.QueryRow("SELECT COUNT(*) FROM migtest_run_log WHERE kind = 'up'").Scan(&ups)
	_ = db.QueryRow("SELECT COUNT(*) FROM migtest_run_log WHERE kind = 'rollback'").Scan(&rollbacks)
	if applied != 0 || ups != 2 || rollbacks != 1 {
		t.Errorf("after rollback: %d patches applied (want 0), %d up runs (want 2), %d rollbacks (want 1) in the logs", applied, ups, rollbacks)
	}
	plan = run(t, dir, env, "plan").must(t, 0)
	if !strings.Contains(plan.stdout, "up would run 4 patches") {
		t.Errorf("after rollback plan should show the 4 patches again:\n%s", plan.stdout)
	}
}

// TestExitCodes checks the exit-code contract and one-line errors.
func TestExitCodes(t *testing.T) {
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN}
	run(t, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)

	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"unknown command", nil, []string{"frobnicate"}, 2, "unknown command"},
		{"unknown flag", nil, []string{"status", "--frob"}, 2, "unknown flag"},
		{"no database", []string{"MIGRATE_DSN="}, []string{"status"}, 2, "no database given"},
		{"invalid dsn", nil, []string{"status", "--dsn", "nonsense:hunter2@tcp(x"}, 2, "invalid"},
		{"wrong password", nil, []string{"status", "--dsn", wrongPassword(t, d.DSN)}, 1, "access denied"},
		{"contradicting flags", nil, []string{"up", "--no-backup", "--backup-dir", "x"}, 2, "contradict"},
		{"a developer command", nil, []string{"rehearse", "--fixture", "nope.sql.gz"}, 2, "migtest rehearse"},
		{"bad site config", nil, []string{"status", "--site-config", writeFile(t, dir, "sc.json", `{"db_name":"x"}`)}, 2, "db_password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := run(t, dir, append(append([]string{}, env...), tt.env...), tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, tt.code, r.stderr)
			}
			line := strings.TrimSpace(r.stderr)
			if strings.Count(line, "\n") > 0 || !strings.Contains(line, tt.want) {
				t.Errorf("stderr should be one line containing %q, got:\n%s", tt.want, r.stderr)
			}
			if strings.Contains(r.stderr+r.stdout, "hunter2") {
				t.Errorf("a password leaked into the output:\n%s%s", r.stdout, r.stderr)
			}
		})
	}

	t.Run("locked", func(t *testing.T) {
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var got int
		if err := conn.QueryRowContext(context.Background(), "SELECT GET_LOCK(?, 0)", "migtest:"+d.Name).Scan(&got); err != nil || got != 1 {
			t.Fatalf("take the lock: %v %d", err, got)
		}
		run(t, dir, env, "up", "--no-backup").must(t, 3)
	})
}

func wrongPassword(t *testing.T, dsn string) string {
	t.Helper()
	i := strings.Index(dsn, "@")
	return "root:hunter2" + dsn[i:]
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRestoreCreatesDatabase restores into a database that does not exist
// yet, and a failed restore into a new database leaves none behind.
func TestRestoreCreatesDatabase(t *testing.T) {
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	i := strings.LastIndex(d.DSN, "/")
	j := strings.Index(d.DSN[i:], "?")
	newDSN := func(name string) string { return d.DSN[:i+1] + name + d.DSN[i+j:] }
	fresh := d.Name + "_new"
	t.Cleanup(func() { db.Exec("DROP DATABASE IF EXISTS `" + fresh + "`") })
	run(t, dir, nil, "restore", "--dsn", newDSN(fresh), "--file", fixturePath(t)).must(t, 0)
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM `" + fresh + "`.`tabCustomer`").Scan(&n); err != nil || n == 0 {
		t.Fatalf("restored into a new database: %d customers, %v", n, err)
	}
	bad := d.Name + "_bad"
	broken := writeFile(t, dir, "broken.sql", "CREATE TABLE t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1);\nTHIS IS NOT SQL;\n")
	r := run(t, dir, nil, "restore", "--dsn", newDSN(bad), "--file", broken).must(t, 1)
	if !strings.Contains(r.stderr, "dropped again") || !strings.Contains(r.stderr, "line 3") {
		t.Errorf("a failed restore into a new database: %s", r.stderr)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", bad).Scan(&n); err != nil || n != 0 {
		t.Errorf("the database of a failed restore is still there (%d, %v)", n, err)
	}
}

// TestRollbackTouched: rollback --touched restores exactly the tables the
// run wrote to, drops the ones it created, and leaves the others, with the
// writes made after the up, alone.
func TestRollbackTouched(t *testing.T) {
	d, db := servertest.NewDatabase(t)
	dir := t.TempDir()
	env := []string{"MIGRATE_DSN=" + d.DSN}
	run(t, dir, env, "restore", "--file", fixturePath(t)).must(t, 0)
	before := checksums(t, db, d.Name)
	run(t, dir, env, "up", "--backup-dir", "backups").must(t, 0)
	backups, _ := filepath.Glob(filepath.Join(dir, "backups", "*.sql.gz.touched.json"))
	if len(backups) != 1 {
		t.Fatalf("%d touched records beside the backup, want 1", len(backups))
	}
	// A write after the up to a table no patch touched must survive.
	if _, err := db.Exec("INSERT INTO `tabToDo` (`name`, `description`) VALUES ('after-up', 'kept')"); err != nil {
		t.Fatal(err)
	}
	r := run(t, dir, env, "rollback", "--yes", "--touched", "--backup-dir", "backups").must(t, 0)
	if !strings.Contains(r.stdout, "tabCustomer") {
		t.Errorf("rollback --touched did not say it restored tabCustomer:\n%s", r.stdout)
	}
	after := checksums(t, db, d.Name)
	for table, sum := range before {
		if table == "tabToDo" {
			continue
		}
		if after[table] != sum {
			t.Errorf("%s: checksum %d after rollback --touched, %d before up", table, after[table], sum)
		}
	}
	for table := range after {
		if _, ok := before[table]; !ok {
			t.Errorf("table %s, created by the run, is still there", table)
		}
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM `tabToDo` WHERE `name` = 'after-up'").Scan(&n); err != nil || n != 1 {
		t.Errorf("the write after up to an untouched table is gone (%d, %v)", n, err)
	}
	plan := run(t, dir, env, "plan").must(t, 0)
	if !strings.Contains(plan.stdout, "up would run 4 patches") {
		t.Errorf("after rollback --touched the patches should be pending again:\n%s", plan.stdout)
	}
}
