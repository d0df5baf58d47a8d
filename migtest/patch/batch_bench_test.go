package patch_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"sync"
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
	// benchSet is the change every contender makes: a backfill that
	// rewrites a column with a value of another length, as real ones do.
	benchSet = "status = 'Done', n = n + 1"
	// inPlaceSet is the cheapest change there is (InnoDB updates the row
	// in place), where the helper's own cost per row shows most.
	inPlaceSet = "n = n + 1"
)

// makeBench (re)creates the bench table with benchRows fresh rows, so that
// every contender starts from the same state: the first UPDATE after the
// INSERT (a value of another length) costs about three times a later,
// in-place one, and a contender that ran second would measure the cheap one.
func makeBench(b *testing.B, db *sql.DB) {
	b.Helper()
	for _, q := range []string{
		"DROP TABLE IF EXISTS bench, bench_log",
		"CREATE TABLE bench (name varchar(140) NOT NULL PRIMARY KEY, customer_name varchar(140), status varchar(20), n int NOT NULL DEFAULT 0)",
		fmt.Sprintf("INSERT INTO bench (name, customer_name, status) SELECT CONCAT('CUST-', LPAD(seq, 8, '0')), CONCAT('Customer ', seq), 'Draft' FROM seq_1_to_%d", benchRows),
		"CREATE TABLE bench_log (id varchar(140) PRIMARY KEY, checkpoint longblob)",
	} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
}

// sqlStore keeps checkpoints in a table the way the runner's patch log
// does: one UPDATE per chunk, in the chunk's transaction.
type sqlStore struct{ db *sql.DB }

func (s sqlStore) LoadCheckpoint(ctx context.Context, id string) ([]byte, error) {
	if _, err := s.db.ExecContext(ctx, "INSERT IGNORE INTO bench_log (id) VALUES (?)", id); err != nil {
		return nil, err
	}
	var b []byte
	err := s.db.QueryRowContext(ctx, "SELECT checkpoint FROM bench_log WHERE id = ?", id).Scan(&b)
	return b, err
}

func (s sqlStore) SaveCheckpoint(ctx context.Context, db *patch.DB, id string, data []byte) error {
	_, err := db.Exec(ctx, "UPDATE bench_log SET checkpoint = ? WHERE id = ?", data, id)
	return err
}

func (sqlStore) SaveSteps(context.Context, *patch.DB, string, []patch.StepResult) error { return nil }

// chunkStats collects the helper's per-chunk debug records.
type chunkStats struct {
	mu      sync.Mutex
	chunks  int
	longest time.Duration
	over    int // chunks holding locks longer than target
	target  time.Duration
}

func (c *chunkStats) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelDebug }
func (c *chunkStats) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "batch chunk" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "lock" {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.chunks++
			c.longest = max(c.longest, a.Value.Duration())
			if a.Value.Duration() > c.target {
				c.over++
			}
		}
		return true
	})
	return nil
}
func (c *chunkStats) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *chunkStats) WithGroup(string) slog.Handler      { return c }

// BenchmarkBatch compares the batched helper (checkpointing to a table, as
// under the runner) with one set-based UPDATE and with per-row UPDATEs
// committed every 100 rows, each on a freshly built table of benchRows rows
// (the build is not timed), making benchSet's change; the -inplace pair
// makes inPlaceSet's. Besides rows/s, the helper reports its chunks,
// the longest time a chunk held locks and how many chunks held them longer
// than TargetTime.
func BenchmarkBatch(b *testing.B) {
	ctx := context.Background()
	_, db := patchtest.NewDatabase(b)
	// timed runs f on a fresh table b.N times and reports f's rows/s.
	timed := func(b *testing.B, f func(i int) int64) {
		var rows int64
		var d time.Duration
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			makeBench(b, db)
			b.StartTimer()
			start := time.Now()
			rows += f(i)
			d += time.Since(start)
		}
		b.ReportMetric(float64(rows)/d.Seconds(), "rows/s")
	}
	for _, c := range []struct{ suffix, set string }{{"", benchSet}, {"-inplace", inPlaceSet}} {
		b.Run("helper"+c.suffix, func(b *testing.B) {
			const target = 200 * time.Millisecond
			stats := &chunkStats{target: target}
			timed(b, func(i int) int64 {
				pc := patch.NewContext(fmt.Sprintf("bench%d", i), patch.NewDB(db, nil),
					patch.Config{Store: sqlStore{db}, Logger: slog.New(stats)})
				res, err := pc.Batch(ctx, patch.Batch{Table: "bench", Set: c.set, TargetTime: target})
				if err != nil {
					b.Fatal(err)
				}
				if res.Changed != benchRows {
					b.Fatalf("helper changed %d rows, want %d", res.Changed, benchRows)
				}
				return res.Rows
			})
			b.ReportMetric(float64(stats.chunks)/float64(b.N), "chunks/op")
			b.ReportMetric(float64(stats.longest.Milliseconds()), "longest-chunk-ms")
			b.ReportMetric(float64(stats.over), "chunks-over-target")
		})
		b.Run("set-based"+c.suffix, func(b *testing.B) {
			timed(b, func(int) int64 {
				r, err := db.ExecContext(ctx, "UPDATE bench SET "+c.set)
				if err != nil {
					b.Fatal(err)
				}
				n, _ := r.RowsAffected()
				return n
			})
		})
	}
	b.Run("per-row-commit100", func(b *testing.B) {
		timed(b, func(int) int64 {
			names, err := db.QueryContext(ctx, "SELECT name FROM bench ORDER BY name LIMIT ?", perRowRows)
			if err != nil {
				b.Fatal(err)
			}
			var keys []string
			for names.Next() {
				var k string
				if err := names.Scan(&k); err != nil {
					b.Fatal(err)
				}
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
				if _, err := tx.ExecContext(ctx, "UPDATE bench SET "+benchSet+" WHERE name = ?", k); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
			return int64(len(keys))
		})
	})
}
