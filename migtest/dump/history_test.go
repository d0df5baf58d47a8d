package dump

import (
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// allVersions reads every version of a system-versioned table with its
// period, in a fixed order.
func allVersions(t *testing.T, db *sql.DB, table, cols string) []string {
	t.Helper()
	return queryStrings(t, db, "SELECT CONCAT_WS('|', "+cols+") FROM "+table+" FOR SYSTEM_TIME ALL ORDER BY 1")
}

// TestSystemVersionedHistory: WithHistory writes the history of
// system-versioned tables (implicit and explicit period columns), which
// Restore and the stock client load back; without it the backup holds the
// current rows and says so at WARN.
func TestSystemVersionedHistory(t *testing.T) {
	t.Parallel()
	src := newTarget(t)
	var ver string
	if err := src.db.QueryRow("SELECT VERSION()").Scan(&ver); err != nil {
		t.Fatal(err)
	}
	if v, m := parseVersion(ver); !m || v < 101100 {
		t.Skipf("server %s cannot load history (MariaDB 10.11+)", ver)
	}
	execAll(t, src,
		"SET SESSION time_zone = '+00:00'",
		"CREATE TABLE imp (id INT PRIMARY KEY, v VARCHAR(10)) WITH SYSTEM VERSIONING",
		"CREATE TABLE expl (id INT PRIMARY KEY, v INT, rs TIMESTAMP(6) GENERATED ALWAYS AS ROW START, re TIMESTAMP(6) GENERATED ALWAYS AS ROW END, PERIOD FOR SYSTEM_TIME(rs, re)) WITH SYSTEM VERSIONING",
		"INSERT INTO imp VALUES (1, 'a'), (2, 'b')",
		"INSERT INTO expl (id, v) VALUES (1, 10), (2, 20)",
		"UPDATE imp SET v = 'a2' WHERE id = 1",
		"DELETE FROM imp WHERE id = 2",
		"UPDATE expl SET v = v + 1",
	)
	want := map[string][]string{"imp": allVersions(t, src.db, "imp", "id, v, ROW_START, ROW_END"), "expl": allVersions(t, src.db, "expl", "id, v, rs, re")}
	if len(want["imp"]) != 3 || len(want["expl"]) != 4 {
		t.Fatalf("source versions: %v", want)
	}
	var logs strings.Builder
	lg := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	plain := filepath.Join(t.TempDir(), "plain.sql.gz")
	if _, err := Backup(context.Background(), src.db, src.Name, plain, WithBackupLogger(lg)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logs.String(), "history is not in the backup"); n != 2 {
		t.Errorf("want a WARN for each versioned table without history, got:\n%s", logs.String())
	}
	hist := filepath.Join(t.TempDir(), "hist.sql.gz")
	m, err := Backup(context.Background(), src.db, src.Name, hist, WithHistory(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range m.Tables {
		if !ti.History {
			t.Errorf("manifest: %s has no history", ti.Name)
		}
	}
	check := func(t *testing.T, got target, history bool) {
		t.Helper()
		for table, cols := range map[string]string{"imp": "id, v, ROW_START, ROW_END", "expl": "id, v, rs, re"} {
			have := allVersions(t, got.db, quoteIdent(got.Name)+"."+table, cols)
			if !history {
				if len(have) != len(want[table])-map[string]int{"imp": 2, "expl": 2}[table] {
					t.Errorf("%s without history: %d versions, %v", table, len(have), have)
				}
				continue
			}
			if diff := cmp.Diff(want[table], have); diff != "" {
				t.Errorf("%s: versions differ (-source +restored):\n%s", table, diff)
			}
		}
	}
	for _, c := range []struct {
		name    string
		file    string
		history bool
		stock   bool
	}{{"history to Restore", hist, true, false}, {"history to stock client", hist, true, true}, {"current rows to Restore", plain, false, false}} {
		t.Run(c.name, func(t *testing.T) {
			got := newTarget(t)
			if c.stock {
				tool(t, strings.NewReader(string(gunzip(t, c.file))), "mariadb", got.Name)
			} else {
				restoreFile(t, got, c.file)
			}
			check(t, got, c.history)
		})
	}
}
