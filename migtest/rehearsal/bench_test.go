package rehearsal_test

import (
	"compress/gzip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/migtest/migtest/fixtures"
	"github.com/migtest/migtest/migtest/dump"
	"github.com/migtest/migtest/migtest/fixture"
	"github.com/migtest/migtest/migtest/migrate"
	"github.com/migtest/migtest/migtest/rehearsal"
	"github.com/migtest/migtest/migtest/server"
	"github.com/migtest/migtest/migtest/server/servertest"
	"github.com/migtest/migtest/patches"
)

// benchScale is the generated site's scale: MIGTEST_BENCH_SCALE, default
// 600 (2.18 M rows, the fixture of make rehearse-big).
func benchScale(b *testing.B) int {
	if s := os.Getenv("MIGTEST_BENCH_SCALE"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			b.Fatalf("MIGTEST_BENCH_SCALE=%q: want a positive number", s)
		}
		return n
	}
	return 600
}

// siteFixture writes (once, kept in the temp dir) the generated site at
// scale and returns its path: the same generator and seed as cmd/fixturegen.
func siteFixture(b *testing.B, scale int) string {
	b.Helper()
	p := filepath.Join(os.TempDir(), fmt.Sprintf("migtest-bench-rehearsal-s%d.sql.gz", scale))
	if _, err := os.Stat(p); err == nil {
		return p
	}
	tmp := p + fmt.Sprintf(".tmp-%d", os.Getpid())
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err := fixtures.Generate(zw, fixtures.Options{Seed: 1, Scale: scale}); err != nil {
		b.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, p); err != nil {
		b.Fatal(err)
	}
	return p
}

func dumpRestore(ctx context.Context, db *sql.DB, database string, r io.Reader) error {
	_, err := dump.Restore(ctx, db, database, r)
	return err
}

// BenchmarkRehearsal times, on one generated production-sized site, the
// whole CI rehearsal (the one pass: fixture to database, every patch with
// a snapshot and timing after it, the crash inside the largest batch and
// its resume, the second up, the pass written to the cache) against the
// work it rehearses done once by hand: one restore and one plain up. Cold:
// an empty cache (the rehearsal restores, exports and imports the
// fixture); warm: the fixture's tablespaces are in the cache.
func BenchmarkRehearsal(b *testing.B) {
	srv := servertest.Server(b)
	fx := siteFixture(b, benchScale(b))
	ctx := context.Background()
	sum, err := fixture.Sum(fx)
	if err != nil {
		b.Fatal(err)
	}
	pass := func(b *testing.B, cache *fixture.Cache) {
		pr, err := rehearsal.StorePass(ctx, rehearsal.PassConfig{Set: patches.Set, Fixture: fx, Cache: cache, Lint: true, RowChanges: true, Crash: true, SecondUp: true}, srv.Version())
		if err != nil {
			b.Fatal(err)
		}
		if p := pr.Problems(); len(p) > 0 {
			b.Fatalf("the example set has problems: %v", p)
		}
	}
	b.Run("baseline-restore-up", func(b *testing.B) { restoreUp(b, srv, fx) })
	b.Run("pass-cold", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			b.Setenv("MIGTEST_CACHE", b.TempDir())
			dropTemplate(b, srv, sum)
			b.StartTimer()
			pass(b, fixture.NewCache(srv, dumpRestore))
		}
	})
	b.Setenv("MIGTEST_CACHE", b.TempDir())
	warm := fixture.NewCache(srv, dumpRestore)
	d, err := warm.Database(ctx, fx) // fills the cache
	if err != nil {
		b.Fatal(err)
	}
	_ = d.Drop(ctx)
	b.Run("pass-warm", func(b *testing.B) {
		for b.Loop() {
			pass(b, warm)
		}
	})
	b.Run("baseline-import-up", func(b *testing.B) {
		for b.Loop() {
			d, err := warm.Database(ctx, fx)
			if err != nil {
				b.Fatal(err)
			}
			plainUp(b, d)
		}
	})
}

// restoreUp is the baseline of the rehearsal benchmarks: the work a
// rehearsal rehearses, done once by hand: one restore of fx into a fresh
// database on srv and one plain up of the example set.
func restoreUp(b *testing.B, srv server.Server, fx string) {
	cache := fixture.NewCache(srv, dumpRestore)
	for b.Loop() {
		d, err := cache.Restore(context.Background(), fx)
		if err != nil {
			b.Fatal(err)
		}
		plainUp(b, d)
	}
}

// plainUp runs one up of the example set on d, as migrate up --no-backup
// does, and drops d.
func plainUp(b *testing.B, d *server.Database) {
	b.Helper()
	ctx := context.Background()
	defer d.Drop(context.Background()) //nolint:errcheck // a benchmark database
	db, err := d.Open()
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	m, err := migrate.New(db, patches.Set)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Up(ctx, migrate.UpOptions{}); err != nil {
		b.Fatal(err)
	}
}

// dropTemplate drops the fixture cache's template database of the fixture
// with sha256 sum, so that the next rehearsal restores it again.
func dropTemplate(b *testing.B, srv server.Server, sum string) {
	admin, err := sql.Open("mysql", srv.DSN(""))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP DATABASE IF EXISTS `migtest_tpl_" + sum[:16] + "`"); err != nil {
		b.Fatal(err)
	}
}
