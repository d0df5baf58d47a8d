package snapshot_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/migtest/snapshot"
)

// createTables makes n Frappe-like tables of 10 columns and 3 indexes
// (primary key and two secondary), with a few rows each, on 4 connections.
func createTables(b *testing.B, db *sql.DB, n int) {
	b.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				name := fmt.Sprintf("tabDoc Type %04d", i)
				stmts := []string{
					"CREATE TABLE `" + name + "` (name varchar(140) NOT NULL, creation datetime(6) DEFAULT NULL, modified datetime(6) DEFAULT NULL, " +
						"owner varchar(140) DEFAULT NULL, docstatus int(1) NOT NULL DEFAULT 0, idx int(8) NOT NULL DEFAULT 0, " +
						"status varchar(140) DEFAULT 'Draft', amount decimal(21,9) NOT NULL DEFAULT 0.000000000, notes text, parent varchar(140) DEFAULT NULL, " +
						"PRIMARY KEY (name), KEY modified (modified), KEY parent (parent)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
					"INSERT INTO `" + name + "` (name, status, amount) VALUES ('A', 'Open', 1), ('B', 'Draft', 2), ('C', 'Closed', 3)",
				}
				for _, s := range stmts {
					if _, err := db.Exec(s); err != nil {
						errs <- fmt.Errorf("%s: %w", s, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// BenchmarkTake1000 inspects a schema of 1,000 tables (goal: under 1 s).
func BenchmarkTake1000(b *testing.B) {
	if testing.Short() {
		b.Skip("creates 1,000 tables")
	}
	d, db := servertest.NewDatabase(b)
	createTables(b, db, 1000)
	ctx := context.Background()
	for _, bc := range []struct {
		name string
		opts []snapshot.Option
	}{
		{"parallel=4", nil},
		{"parallel=1", []snapshot.Option{snapshot.WithParallel(1)}},
		{"parallel=8", []snapshot.Option{snapshot.WithParallel(8)}},
		{"schema-only", []snapshot.Option{snapshot.WithoutRowCounts()}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var s *snapshot.Snapshot
			for b.Loop() {
				var err error
				if s, err = snapshot.Take(ctx, db, d.Name, bc.opts...); err != nil {
					b.Fatal(err)
				}
			}
			if len(s.Tables) != 1000 || len(s.Tables[0].Columns) != 10 || len(s.Tables[0].Indexes) != 3 {
				b.Fatalf("took %d tables, the first with %d columns and %d indexes", len(s.Tables), len(s.Tables[0].Columns), len(s.Tables[0].Indexes))
			}
			if strings.Contains(bc.name, "parallel") && s.Tables[999].Rows != 3 {
				b.Fatalf("rows = %d, want 3", s.Tables[999].Rows)
			}
			b.ReportMetric(float64(len(s.Format())), "bytes/snapshot")
		})
	}
	b.Run("format+parse", func(b *testing.B) {
		s, err := snapshot.Take(ctx, db, d.Name)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := snapshot.Parse(s.Format()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
