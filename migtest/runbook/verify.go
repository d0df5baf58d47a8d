package runbook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/snapshot"
)

// Result is the outcome of one check of Check or Verify.
type Result struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
	// Lines are what the check found, one a line (the schema differences
	// of Verify with a snapshot).
	Lines []string `json:"lines,omitempty"`
}

// String is the result as one line, "ok   name  detail" or
// "FAIL name  detail", followed by its Lines indented.
func (c Result) String() string {
	mark := "ok  "
	if !c.OK {
		mark = "FAIL"
	}
	s := fmt.Sprintf("%s %-22s %s", mark, c.Name, c.Detail)
	for _, l := range c.Lines {
		s += "\n       " + l
	}
	return s
}

// Results are the outcomes of the checks of one step, in order.
type Results []Result

// Failed names the checks that failed.
func (rs Results) Failed() []string {
	var out []string
	for _, r := range rs {
		if !r.OK {
			out = append(out, r.Name)
		}
	}
	return out
}

// adder returns a function that appends a result: OK when err is nil,
// else with err (on one line) as the detail.
func (rs *Results) adder() func(name string, err error, detail string) {
	return func(name string, err error, detail string) {
		r := Result{Name: name, OK: err == nil, Detail: detail}
		if err != nil {
			r.Detail = oneLine(err.Error())
		}
		*rs = append(*rs, r)
	}
}

// VerifyOptions configure Verify.
type VerifyOptions struct {
	// Snapshot, when set, is the schema the database must have (its row
	// counts are reported, not required).
	Snapshot *snapshot.Snapshot
	// SnapshotName names Snapshot in results and errors (its file name).
	SnapshotName string
}

// Verify runs the post-migration checks: every table present and
// readable, no NULL or empty primary keys, a write/read/delete smoke test
// in a scratch table, a timed probe query, and with o.Snapshot the schema.
// A failed check makes the error a *VerifyError; other errors mean the
// checks could not run.
func (r *Runbook) Verify(ctx context.Context, o VerifyOptions) (Results, error) {
	results, err := verifyChecks(ctx, r.db, r.target.Database())
	var ve *VerifyError
	if err != nil && !errors.As(err, &ve) {
		return results, err
	}
	if o.Snapshot != nil {
		got, err := Inspect(ctx, r.db, r.target.Database())
		if err != nil {
			return results, err
		}
		results = append(results, compareSchema(o, got)...)
	}
	if failed := results.Failed(); len(failed) > 0 {
		return results, &VerifyError{Err: fmt.Errorf("verification failed: %s", strings.Join(failed, ", "))}
	}
	return results, nil
}

// compareSchema is the result of comparing got with o.Snapshot: the
// schema (checked; each difference a line) and the row counts (reported).
func compareSchema(o VerifyOptions, got *snapshot.Snapshot) Results {
	name := o.SnapshotName
	if name == "" {
		name = "the snapshot"
	}
	d := snapshot.Compare(o.Snapshot.SchemaOnly(), got.SchemaOnly())
	res := Result{Name: "schema matches snapshot", OK: d.Empty(), Detail: name}
	if !d.Empty() {
		res.Lines = strings.Split(strings.TrimRight(d.String(), "\n"), "\n")
		res.Detail = fmt.Sprintf("%s: %d differences (- snapshot, + database):", name, len(res.Lines))
	}
	out := Results{res}
	if rows := snapshot.Compare(o.Snapshot, got); !rows.Empty() && d.Empty() {
		out = append(out, Result{Name: "row counts", OK: true, Detail: "differ from the snapshot (reported, not checked)"})
	}
	return out
}

// verifyChecks runs the built-in checks of Verify.
func verifyChecks(ctx context.Context, db *sql.DB, database string) (Results, error) {
	var out Results
	add := out.adder()

	tables, err := baseTables(ctx, db, database)
	add("tables listed", err, fmt.Sprintf("%d tables", len(tables)))
	if err == nil {
		var bad []string
		for _, tb := range tables {
			var one int
			err := db.QueryRowContext(ctx, "SELECT 1 FROM "+patch.QuoteIdent(tb)+" LIMIT 1").Scan(&one)
			if err != nil && err != sql.ErrNoRows {
				bad = append(bad, fmt.Sprintf("%s (%v)", tb, err))
			}
		}
		if len(bad) > 0 {
			add("tables readable", fmt.Errorf("%d unreadable: %s", len(bad), strings.Join(bad, "; ")), "")
		} else {
			add("tables readable", nil, fmt.Sprintf("%d readable", len(tables)))
		}
	}

	pkErr := checkPrimaryKeys(ctx, db, database)
	add("primary keys", pkErr, "no NULL or empty primary key values")

	add("write/read/delete", smokeTest(ctx, db), "scratch table created, written, read, dropped")

	start := time.Now()
	var n int64
	err = db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?", database).Scan(&n)
	took := time.Since(start)
	if err == nil && took > 5*time.Second {
		err = fmt.Errorf("probe query took %s (over 5s): the server is overloaded", took.Round(time.Millisecond))
	}
	add("probe query", err, fmt.Sprintf("answered in %s", took.Round(time.Microsecond)))

	if failed := out.Failed(); len(failed) > 0 {
		return out, &VerifyError{Err: fmt.Errorf("verification failed: %s", strings.Join(failed, ", "))}
	}
	return out, nil
}

// baseTables lists the base tables of database.
func baseTables(ctx context.Context, db *sql.DB, database string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME", database)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// checkPrimaryKeys looks for NULL or empty values in single-column string
// primary keys (Frappe's name column), the damage a bad data patch does.
func checkPrimaryKeys(ctx context.Context, db *sql.DB, database string) error {
	rows, err := db.QueryContext(ctx, `SELECT k.TABLE_NAME, k.COLUMN_NAME, c.DATA_TYPE
FROM information_schema.KEY_COLUMN_USAGE k
JOIN information_schema.COLUMNS c ON c.TABLE_SCHEMA = k.TABLE_SCHEMA AND c.TABLE_NAME = k.TABLE_NAME AND c.COLUMN_NAME = k.COLUMN_NAME
WHERE k.TABLE_SCHEMA = ? AND k.CONSTRAINT_NAME = 'PRIMARY'
ORDER BY k.TABLE_NAME, k.ORDINAL_POSITION`, database)
	if err != nil {
		return fmt.Errorf("list primary keys: %w", err)
	}
	type pk struct{ table, col, typ string }
	var pks []pk
	defer rows.Close()
	for rows.Next() {
		var p pk
		if err := rows.Scan(&p.table, &p.col, &p.typ); err != nil {
			return fmt.Errorf("list primary keys: %w", err)
		}
		pks = append(pks, p)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list primary keys: %w", err)
	}
	rows.Close()
	var bad []string
	for _, p := range pks {
		cond := patch.QuoteIdent(p.col) + " IS NULL"
		if strings.Contains(p.typ, "char") || strings.Contains(p.typ, "text") {
			cond += " OR " + patch.QuoteIdent(p.col) + " = ''"
		}
		var n int64
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+patch.QuoteIdent(p.table)+" WHERE "+cond).Scan(&n); err != nil {
			return fmt.Errorf("check primary key %s.%s: %w", p.table, p.col, err)
		}
		if n > 0 {
			bad = append(bad, fmt.Sprintf("%s.%s has %d empty", p.table, p.col, n))
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("empty primary keys: %s", strings.Join(bad, "; "))
	}
	return nil
}

// smokeTest creates a scratch table, writes, reads and deletes a row, and drops it.
func smokeTest(ctx context.Context, db *sql.DB) error {
	name := fmt.Sprintf("migtest_smoke_%d", time.Now().UnixNano())
	q := patch.QuoteIdent(name)
	defer db.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+q) //nolint:errcheck // best effort; the error path below reports
	if _, err := db.ExecContext(ctx, "CREATE TABLE "+q+" (id INT PRIMARY KEY, v VARCHAR(32)) ENGINE=InnoDB"); err != nil {
		return fmt.Errorf("create scratch table: %w", err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO "+q+" VALUES (1, ?)", "migtest"); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	var v string
	if err := db.QueryRowContext(ctx, "SELECT v FROM "+q+" WHERE id = 1").Scan(&v); err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	if v != "migtest" {
		return fmt.Errorf("read back %q, wrote \"migtest\"", v)
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM "+q+" WHERE id = 1"); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if _, err := db.ExecContext(ctx, "DROP TABLE "+q); err != nil {
		return fmt.Errorf("drop scratch table: %w", err)
	}
	return nil
}
