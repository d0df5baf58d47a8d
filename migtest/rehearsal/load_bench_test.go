package rehearsal

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/internal/patchrt"
	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/server/servertest"
)

// BenchmarkAppWait measures how long application statements (the Load
// workload: reads and row locks by key) wait while a schema change runs on
// a table of 2 M rows (MIGTEST_APPWAIT_ROWS), side by side: the change as a
// table copy (ALGORITHM=COPY, what MariaDB does for changes it cannot do
// online, and what a plain ALTER did before 10.0) and the same change
// online (INSTANT, or INPLACE with LOCK=NONE). ns/op is the ALTER's own
// time; longest-wait-ns and p99-wait-ns are the application's.
func BenchmarkAppWait(b *testing.B) {
	rows := 2_000_000
	if s := os.Getenv("MIGTEST_APPWAIT_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	d, db := servertest.NewDatabase(b)
	ctx := context.Background()
	if _, err := db.Exec("CREATE TABLE gl (id int NOT NULL PRIMARY KEY, account varchar(140) NOT NULL, posting_date date NOT NULL, debit decimal(21,9) NOT NULL, remarks varchar(200) NULL) ENGINE=InnoDB"); err != nil {
		b.Fatal(err)
	}
	for lo := 1; lo <= rows; lo += 250_000 {
		hi := min(lo+249_999, rows)
		if _, err := db.Exec(fmt.Sprintf("INSERT INTO gl SELECT seq, CONCAT('Account ', seq %% 997), '2020-01-01' + INTERVAL seq %% 1500 DAY, seq / 7, REPEAT('r', seq %% 40) FROM seq_%d_to_%d", lo, hi)); err != nil {
			b.Fatal(err)
		}
	}
	changes := []struct{ name, do, undo string }{
		{"add-column-copy", "ALTER TABLE gl ADD COLUMN region varchar(20) NULL, ALGORITHM=COPY", "ALTER TABLE gl DROP COLUMN region"},
		{"add-column-instant", "ALTER TABLE gl ADD COLUMN region varchar(20) NULL, ALGORITHM=INSTANT", "ALTER TABLE gl DROP COLUMN region"},
		{"add-index-copy", "ALTER TABLE gl ADD INDEX account (account), ALGORITHM=COPY", "ALTER TABLE gl DROP INDEX account"},
		{"add-index-online", "ALTER TABLE gl ADD INDEX account (account), ALGORITHM=INPLACE, LOCK=NONE", "ALTER TABLE gl DROP INDEX account"},
	}
	for _, c := range changes {
		b.Run(c.name, func(b *testing.B) {
			var longest, p99 time.Duration
			for range b.N {
				b.StopTimer()
				pl, err := appWait(ctx, b, d.DSN, c.do)
				if err != nil {
					b.Fatal(err)
				}
				longest, p99 = max(longest, pl.Longest), max(p99, pl.P99)
				if _, err := db.Exec(c.undo); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(longest.Nanoseconds()), "longest-wait-ns")
			b.ReportMetric(float64(p99.Nanoseconds()), "p99-wait-ns")
		})
	}
}

// appWait runs stmt under the workload on its table, timing stmt only, and
// returns what the workload saw.
func appWait(ctx context.Context, b *testing.B, dsn, stmt string) (PatchLoad, error) {
	ldb, err := sql.Open("mysql", dsn)
	if err != nil {
		return PatchLoad{}, err
	}
	defer ldb.Close()
	l := startLoad(ctx, ldb, Load{})
	pctx := patchrt.ContextWithID(ctx, "change")
	_ = l.hook(pctx, stmt)
	time.Sleep(300 * time.Millisecond) // the workload in its stride
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		l.stop()
		return PatchLoad{}, err
	}
	defer db.Close()
	b.StartTimer()
	_, err = db.ExecContext(ctx, stmt)
	b.StopTimer()
	time.Sleep(300 * time.Millisecond)
	loads := l.finish(patch.Set{Patches: []patch.Patch{{ID: "change"}}})
	if err != nil {
		return PatchLoad{}, fmt.Errorf("%s: %w", stmt, err)
	}
	if len(loads) == 0 {
		return PatchLoad{}, fmt.Errorf("%s: the workload ran no statement", stmt)
	}
	return loads[0], nil
}
