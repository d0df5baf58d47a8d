package patch_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/migtest/migtest/migtest/patch"
	"github.com/migtest/migtest/migtest/patch/patchtest"
)

// benchRows is the table size; per-row mode walks only the first perRowRows
// of it (at ~10 k rows/s the whole table would take minutes) and reports its rate.
const (
	benchRows  = 1_500_000
	perRowRows = 100_000
)

func makeBench(b *testing.B, db *sql.DB) {
	b.Helper()
	for _, q := range []string{
		"CREATE TABLE bench (name varchar(140) NOT NULL PRIMARY KEY, customer_name varchar(140), status varchar(20), n int NOT NULL DEFAULT 0)",
		fmt.Sprintf("INSERT INTO bench (name, customer_name, status) SELECT CONCAT('CUST-', LPAD(seq, 8, '0')), CONCAT('Customer ', seq), 'Draft' FROM seq_1_to_%d", benchRows),
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBatch compares the batched helper with one set-based UPDATE and
// with per-row UPDATEs committed every 100 rows, on benchRows rows.
func BenchmarkBatch(b *testing.B) {
	ctx := context.Background()
	_, db := patchtest.NewDatabase(b)
	makeBench(b, db)
	const set = "status = 'Done', n = n + 1"
	rate := func(b *testing.B, rows int64, d time.Duration) {
		b.ReportMetric(float64(rows)/d.Seconds(), "rows/s")
	}
	b.Run("helper", func(b *testing.B) {
		var rows int64
		start := time.Now()
		for i := 0; b.Loop(); i++ {
			pc := patch.NewContext(fmt.Sprintf("bench%d", i), patch.NewDB(db, nil), patch.Config{})
			res, err := pc.Batch(ctx, patch.Batch{Table: "bench", Set: set})
			if err != nil {
				b.Fatal(err)
			}
			rows += res.Rows
		}
		rate(b, rows, time.Since(start))
	})
	b.Run("set-based", func(b *testing.B) {
		var rows int64
		start := time.Now()
		for b.Loop() {
			r, err := db.ExecContext(ctx, "UPDATE bench SET "+set)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := r.RowsAffected()
			rows += n
		}
		rate(b, rows, time.Since(start))
	})
	b.Run("per-row-commit100", func(b *testing.B) {
		var rows int64
		start := time.Now()
		for b.Loop() {
			names, err := db.QueryContext(ctx, "SELECT name FROM bench ORDER BY name LIMIT ?", perRowRows)
			if err != nil {
				b.Fatal(err)
			}
			var keys []string
			for names.Next() {
				var k string
				names.Scan(&k)
				keys = append(keys, k)
			}
			names.Close()
			var tx *sql.Tx
			for i, k := range keys {
				if i%100 == 0 {
					if tx != nil {
						if err := tx.Commit(); err != nil {
							b.Fatal(err)
						}
					}
					if tx, err = db.BeginTx(ctx, nil); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := tx.ExecContext(ctx, "UPDATE bench SET "+set+" WHERE name = ?", k); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			rows += int64(len(keys))
		}
		rate(b, rows, time.Since(start))
	})
}
