package dump

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// otherDatabase creates a database beside the test's, dropped at the end.
func otherDatabase(t *testing.T, tg target, prefix string, stmts ...string) string {
	t.Helper()
	name := fmt.Sprintf("%s%d", prefix, time.Now().UnixNano()%1e9)
	if _, err := tg.db.Exec("CREATE DATABASE " + quoteIdent(name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.db.Exec("DROP DATABASE IF EXISTS " + quoteIdent(name)) })
	for _, s := range stmts {
		if _, err := tg.db.Exec(strings.ReplaceAll(s, "OTHER", quoteIdent(name))); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return name
}

func execAll(t *testing.T, tg target, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := tg.db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// dumpsOf returns the source as a migtest backup and a mariadb-dump file.
func dumpsOf(t *testing.T, src target) map[string]string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "b.sql.gz")
	if _, err := Backup(context.Background(), src.db, src.Name, p); err != nil {
		t.Fatal(err)
	}
	stock := tool(t, nil, "mariadb-dump", "--routines", "--triggers", "--events", src.Name)
	return map[string]string{"backup": p, "mariadb-dump": writeFile(t, "d.sql", stock)}
}

// TestRestoreBesideTableNamedDatabase: a dump whose table is named like a
// database on the server (the employees sample restored under another
// name beside the original) restores: `employees`.`emp_no` in its view is
// a column of the table, not the database.
func TestRestoreBesideTableNamedDatabase(t *testing.T) {
	t.Parallel()
	src := newTarget(t)
	other := otherDatabase(t, src, "employees", "CREATE TABLE OTHER.employees (emp_no INT PRIMARY KEY)")
	q := quoteIdent(other)
	execAll(t, src,
		"CREATE TABLE "+q+" (emp_no INT PRIMARY KEY, name VARCHAR(20))",
		"CREATE TABLE salaries (emp_no INT, from_date DATE, salary INT, PRIMARY KEY (emp_no, from_date))",
		"INSERT INTO "+q+" VALUES (1, 'a'), (2, 'b')",
		"INSERT INTO salaries VALUES (1, '2020-01-01', 10), (2, '2020-01-01', 20)",
		"CREATE VIEW current_pay AS SELECT "+q+".emp_no, "+q+".name, s.salary FROM "+q+" JOIN salaries s ON s.emp_no = "+q+".emp_no",
		"CREATE VIEW top_pay AS SELECT cp.emp_no FROM current_pay cp WHERE cp.salary > 15",
	)
	for name, p := range dumpsOf(t, src) {
		t.Run(name, func(t *testing.T) {
			got := newTarget(t)
			restoreFile(t, got, p)
			sameDatabase(t, src.db, src.Name, got.Name)
		})
	}
}

// TestRestoreRewritesOwnDatabase: a view calling src.f() and a default
// nextval(src.seq) name the dump's own database; restored beside the
// source, they point at the target (the stock client points them back at
// the source).
func TestRestoreRewritesOwnDatabase(t *testing.T) {
	t.Parallel()
	src := newTarget(t)
	q := quoteIdent(src.Name)
	execAll(t, src,
		"CREATE SEQUENCE seq START WITH 10",
		"CREATE FUNCTION f(x INT) RETURNS INT DETERMINISTIC RETURN x * 2",
		"CREATE TABLE t (id INT PRIMARY KEY DEFAULT nextval("+q+".seq), v INT)",
		"INSERT INTO t (v) VALUES (1), (2)",
		"CREATE VIEW v AS SELECT id, "+q+".f(v) AS d FROM "+q+".t",
		"CREATE PROCEDURE p() SELECT COUNT(*) FROM "+q+".t",
	)
	for name, p := range dumpsOf(t, src) {
		t.Run(name, func(t *testing.T) {
			got := newTarget(t)
			restoreFile(t, got, p)
			sameDatabase(t, src.db, src.Name, got.Name) // describe maps each database's own name to <db>
			var create string
			var n string
			if err := got.db.QueryRow("SHOW CREATE TABLE "+quoteIdent(got.Name)+".t").Scan(&n, &create); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(create, src.Name) {
				t.Errorf("the restored table still names the source database:\n%s", create)
			}
		})
	}
}

// TestRestoreRefusesOtherDatabase: a view over a genuinely different
// database that exists on the server is refused, and nothing is left.
func TestRestoreRefusesOtherDatabase(t *testing.T) {
	t.Parallel()
	src := newTarget(t)
	other := otherDatabase(t, src, "victim", "CREATE TABLE OTHER.secrets (id INT PRIMARY KEY)")
	execAll(t, src,
		"CREATE TABLE t (id INT PRIMARY KEY)",
		"CREATE VIEW v AS SELECT s.id FROM "+quoteIdent(other)+".secrets s JOIN t ON t.id = s.id",
	)
	for name, p := range dumpsOf(t, src) {
		t.Run(name, func(t *testing.T) {
			got := newTarget(t)
			_, err := Restore(context.Background(), got.db, got.Name, strings.NewReader(string(gunzipOrRead(t, p))))
			if !errors.Is(err, errOutside) || !strings.Contains(err.Error(), other) {
				t.Fatalf("Restore: %v; want it refused for naming %s", err, other)
			}
			if d := describe(t, got.db, got.Name); len(d.Tables) != 0 {
				t.Errorf("left behind: %v", d.Tables)
			}
		})
	}
}

func gunzipOrRead(t *testing.T, p string) []byte {
	if strings.HasSuffix(p, ".gz") {
		return gunzip(t, p)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
